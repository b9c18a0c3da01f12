"""E-mail delivery against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.application.app import App
from bot.campaign.setup import create_campaign
from bot.cli import main
from bot.clock import FakeClock
from bot.delivery.mailer import MailError, SmtpSettings, content_type, send_email
from tests.fakes.smtp import PASSWORD, Inbox, _free_port, running_smtp_server


def _attachments(tmp_path: Path) -> list[Path]:
    files = {
        "Tổng hợp câu hỏi.xlsx": b"PK\x03\x04 fake xlsx bytes",
        "tong-hop.docx": b"PK\x03\x04 fake docx bytes \x00\xff",
        "bieu-do.png": b"\x89PNG\r\n\x1a\n fake png",
        "cau-hoi.csv": "\ufeffMã câu hỏi,Đơn vị\r\nK7Q2M,Xã Đàm Thuỷ\r\n".encode(),
    }
    paths = []
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(path)
    return paths


async def test_sends_vietnamese_mail_with_attachments(
    smtp_server: tuple[Inbox, int], tmp_path: Path
) -> None:
    inbox, port = smtp_server
    settings = SmtpSettings(
        host="127.0.0.1",
        port=port,
        sender="youthbot@tinhdoan.caobang.gov.vn",
        username="doan.caobang",
        password=SecretStr(PASSWORD),
        starttls=False,
        timeout=5,
    )
    subject = "Tổng hợp câu hỏi của thanh niên — Đối thoại năm 2025"
    body = "Kính gửi Sở Nội vụ,\n\nGửi kèm bản tổng hợp: 1.234 câu hỏi.\n\nTrân trọng."
    files = _attachments(tmp_path)
    clock = FakeClock(datetime(2025, 8, 5, 1, 30, tzinfo=UTC))
    await send_email(
        settings,
        to=["vanphong@snv.caobang.gov.vn", " bithu@xadamthuy.vn "],
        subject=subject,
        body=body,
        attachments=files,
        clock=clock,
    )

    assert len(inbox.messages) == 1
    mail_from, rcpt_tos, raw = inbox.messages[0]
    assert mail_from == "youthbot@tinhdoan.caobang.gov.vn"
    assert rcpt_tos == ["vanphong@snv.caobang.gov.vn", "bithu@xadamthuy.vn"]
    # On the wire the headers are ASCII (RFC 2047 encoded words).
    head = raw.split(b"\r\n\r\n", 1)[0]
    head.decode("ascii")
    assert b"=?utf-8?" in head

    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == subject
    assert message["Date"].datetime == datetime(2025, 8, 5, 1, 30, tzinfo=UTC)
    assert message["Message-ID"].endswith("@tinhdoan.caobang.gov.vn>")
    text = message.get_body(("plain",))
    assert text is not None
    assert text.get_content().replace("\r\n", "\n").strip() == body
    received = {
        part.get_filename(): (part.get_content_type(), part.get_payload(decode=True))
        for part in message.iter_attachments()
    }
    assert received == {
        "Tổng hợp câu hỏi.xlsx": (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            files[0].read_bytes(),
        ),
        "tong-hop.docx": (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            files[1].read_bytes(),
        ),
        "bieu-do.png": ("image/png", files[2].read_bytes()),
        "cau-hoi.csv": ("text/csv", files[3].read_bytes()),
    }


async def test_wrong_password_is_a_mail_error_without_the_password(
    smtp_server: tuple[Inbox, int],
) -> None:
    _, port = smtp_server
    wrong = "sai-" + PASSWORD
    settings = SmtpSettings(
        host="127.0.0.1",
        port=port,
        sender="bot@example.vn",
        username="doan.caobang",
        password=wrong,
        starttls=False,
        timeout=5,
    )
    with pytest.raises(MailError) as caught:
        await send_email(settings, to=["a@example.vn"], subject="x", body="y")
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert wrong not in str(caught.value)
    assert wrong not in repr(settings)


async def test_nothing_listening_is_a_mail_error() -> None:
    port = _free_port()
    settings = SmtpSettings(
        host="127.0.0.1",
        port=port,
        sender="bot@example.vn",
        username="u",
        password=SecretStr(PASSWORD),
        starttls=False,
        timeout=3,
    )
    with pytest.raises(MailError, match=rf"127\.0\.0\.1:{port}") as caught:
        await send_email(settings, to=["a@example.vn"], subject="Thử", body="Nội dung")
    assert PASSWORD not in str(caught.value)


async def test_missing_attachment_and_no_recipient(tmp_path: Path) -> None:
    settings = SmtpSettings(host="127.0.0.1", port=_free_port(), sender="bot@example.vn")
    with pytest.raises(MailError, match="cannot attach"):
        await send_email(
            settings, to=["a@example.vn"], subject="s", body="b", attachments=[tmp_path / "no.xlsx"]
        )
    with pytest.raises(MailError, match="no recipient"):
        await send_email(settings, to=[" "], subject="s", body="b")


def test_content_types() -> None:
    assert (
        content_type(Path("a.XLSX"))[1] == "vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert content_type(Path("a.jsonl")) == ("application", "x-ndjson")
    assert content_type(Path("a.unknownext")) == ("application", "octet-stream")


@pytest.mark.parametrize(
    "subject",
    [
        # Long enough to fold between two encoded words at "địa bàn": Python 3.11 lost that
        # space ("địabàn") when the message header was set the plain way.
        "Tổng hợp câu hỏi của thanh niên — Hội nghị đối thoại giữa Chủ tịch UBND tỉnh với "
        "thanh niên trên địa bàn tỉnh Cao Bằng năm 2025 (05/08/2025 08:30)",
        "Tổng hợp câu hỏi   khoảng trắng  đôi  " * 3,
        "Báo cáo " + "thanh niên trên địa bàn " * 12,
        "A plain ASCII subject that is long enough to be folded by the e-mail library " * 2,
    ],
)
async def test_long_vietnamese_subjects_arrive_word_for_word(
    smtp_server: tuple[Inbox, int], subject: str
) -> None:
    inbox, port = smtp_server
    settings = SmtpSettings(
        host="127.0.0.1", port=port, sender="youthbot@localhost", starttls=False, timeout=5
    )
    await send_email(settings, to=["a@example.vn"], subject=subject, body="Nội dung")
    raw = inbox.messages[-1][2]
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert all(len(line) <= 78 for line in head.split("\r\n"))
    message = email.message_from_bytes(raw, policy=email.policy.default)
    # Spacing inside the subject is kept to a single space between words.
    assert message["Subject"] == " ".join(subject.split())


# -- issue 17: a relay without AUTH, and mail errors the operator can act on ----------------


@pytest.fixture
def relay() -> Iterator[tuple[Inbox, int]]:
    """A relay on the local network: no AUTH offered, no TLS."""
    with running_smtp_server(auth=False) as server:
        yield server


@pytest.fixture
async def with_campaign(province_app: App) -> App:
    await create_campaign(province_app, title="Đối thoại 2025", dialogue=date(2025, 8, 28))
    return province_app


def smtp_env(monkeypatch: pytest.MonkeyPatch, port: int, **extra: str) -> None:
    # As shipped in .env.example: SMTP_USERNAME= and SMTP_PASSWORD= left empty.
    for name, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_USERNAME": "",
        "SMTP_PASSWORD": "",
        "SMTP_STARTTLS": "false",
        **extra,
    }.items():
        monkeypatch.setenv(name, value)


async def digest_by_mail(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = await asyncio.to_thread(main, ["digest", "--email", "vanphong@example.vn"])
    return status, capsys.readouterr().err


@pytest.mark.usefixtures("with_campaign")
async def test_an_empty_username_sends_without_login(
    relay: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox, port = relay
    smtp_env(monkeypatch, port)
    status, err = await digest_by_mail(capsys)
    assert (status, err) == (0, "")
    [(_, recipients, _)] = inbox.messages
    assert recipients == ["vanphong@example.vn"]


@pytest.mark.usefixtures("with_campaign")
@pytest.mark.parametrize(
    ("server", "extra", "expected"),
    [
        (
            "relay",
            {"SMTP_USERNAME": "doan", "SMTP_PASSWORD": "mật-khẩu"},
            "máy chủ thư 127.0.0.1:{port} không cho đăng nhập: nếu máy chủ không cần đăng nhập, "
            "để trống SMTP_USERNAME và SMTP_PASSWORD",
        ),
        (
            "relay",
            {"SMTP_STARTTLS": "true"},
            "máy chủ thư 127.0.0.1:{port} không hỗ trợ STARTTLS: đặt SMTP_STARTTLS=false, hoặc "
            "SMTP_USE_TLS=true với cổng 465",
        ),
        (
            "login",
            {"SMTP_USERNAME": "doan.caobang", "SMTP_PASSWORD": "sai-mật-khẩu"},
            "máy chủ thư 127.0.0.1:{port} từ chối đăng nhập: kiểm tra SMTP_USERNAME và "
            "SMTP_PASSWORD",
        ),
        (
            "nothing",
            {},
            "máy chủ thư 127.0.0.1:{port} không nhận kết nối: kiểm tra SMTP_HOST và SMTP_PORT",
        ),
    ],
)
async def test_mail_errors_are_one_vietnamese_line(
    server: str,
    extra: dict[str, str],
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with ExitStack() as stack:
        if server == "nothing":
            port = _free_port()
        else:
            _, port = stack.enter_context(running_smtp_server(auth=server == "login"))
        smtp_env(monkeypatch, port, **extra)
        status, err = await digest_by_mail(capsys)
    assert status == 1
    assert err == f"youthbot digest: {expected.format(port=port)}\n"
    assert "mật-khẩu" not in err


@pytest.mark.usefixtures("with_campaign")
async def test_digest_by_email_without_a_mail_server_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """No SMTP_HOST: one line saying so, before any file is written (the files were
    written first, then the error came)."""
    monkeypatch.setenv("SMTP_HOST", "")
    monkeypatch.setenv("YOUTHBOT_OUT_DIR", str(tmp_path / "out"))
    status, err = await digest_by_mail(capsys)
    assert status != 0 and "SMTP_HOST" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
