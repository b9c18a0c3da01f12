"""How the bot speaks to officials and prints numbers and file names: an official is
addressed formally ("đồng chí") in the steps shared with young people (/lienket, /xoa,
/ngonngu, /huy, /vaitro), a young person stays "bạn"; numbers of 1,000 or more are grouped
as the reader's language writes them; document file names are safe everywhere."""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign.setup import create_campaign
from bot.cli import main
from bot.documents.names import document_stem, slugify
from bot.documents.produce import produce_sheet
from handlers.answers import MAX_ANSWER_CHARS
from handlers.broadcast import MAX_BROADCAST_CHARS
from handlers.engine import Engine
from handlers.events import EventKind
from handlers.roles import create_invite
from locales import Message, translator
from storage.models import Campaign, NewQuestion
from tests.followup import official, question
from tests.talk import Talker

# "bạn" as a word (not inside another word): how a young person is addressed.
BAN = re.compile(r"\bbạn\b", re.IGNORECASE)


async def organiser_on(app: App, engine: Engine, channel: str, user: str) -> Talker:
    """An organiser who redeemed an invite in chat on ``channel``."""
    code = await create_invite(app.store, "organiser", now=app.clock.now())
    talker = Talker(engine, user_id=user, channel=channel)
    await talker.say(f"/nhanquyen {code}")
    assert "Đã cấp vai trò" in talker.last_text, talker.last_text
    return talker


def said(talker: Talker, start: int = 0) -> str:
    """Every text the bot said to ``talker`` since the ``start``-th event."""
    return "\n".join(r.text for _, replies in talker.transcript[start:] for r in replies)


async def test_linking_addresses_an_official_formally(
    province_app: App, campaign: Campaign, engine: Engine
) -> None:
    """/lienket said "bạn" to a secretary or an organiser and never said that the role
    goes with the linked account; a young person is still asked as "bạn"."""
    zalo = await organiser_on(province_app, engine, "zalo", "z-org")
    start = len(zalo.transcript)
    await zalo.say("/lienket")
    prompt = zalo.last_prompt()
    assert "Đồng chí có đồng ý liên kết không?" in prompt.text
    assert "vai trò cán bộ" in prompt.text  # the role follows the account
    assert prompt.formal  # Zalo's hint under the options: "Đồng chí gõ …"
    await zalo.say("???")  # not understood, asked formally too
    await zalo.say("1")
    code = re.search(r"Mã liên kết của đồng chí: (\d{6})", zalo.last_text)
    assert code is not None, zalo.last_text
    assert not BAN.search(said(zalo, start)), said(zalo, start)

    # The other app: a wrong code, then the right one, then the consent, formally.
    telegram = await organiser_on(province_app, engine, "telegram", "t-org")
    start = len(telegram.transcript)
    await telegram.say("/lienket 000000" if code.group(1) != "000000" else "/lienket 111111")
    assert "Đồng chí kiểm tra lại mã" in telegram.last_text
    await telegram.say(f"/lienket {code.group(1)}")
    assert "Đồng chí có đồng ý liên kết không?" in telegram.last_prompt().text
    assert telegram.last_prompt().formal
    await telegram.say("2")  # not now
    assert "Chưa liên kết" in telegram.last_text
    assert not BAN.search(said(telegram, start)), said(telegram, start)


async def test_linking_still_says_ban_to_a_young_person(
    province_app: App, campaign: Campaign, engine: Engine
) -> None:
    young = Talker(engine, user_id="young", channel="zalo")
    await young.say("/lienket")
    prompt = young.last_prompt()
    assert "Bạn đồng ý liên kết không?" in prompt.text and not prompt.formal
    await young.say("2")
    assert "hai tài khoản của bạn vẫn riêng như cũ" in young.last_text


async def test_an_official_deleting_their_data_is_told_the_role_goes_too(
    province_app: App, campaign: Campaign, engine: Engine
) -> None:
    """/xoa asked an organiser "Bạn muốn rút lại đồng ý…" and said nothing of the role
    the erasure takes with it."""
    org = await organiser_on(province_app, engine, "test", "org")
    start = len(org.transcript)
    await org.say("/xoa")
    prompt = org.last_prompt()
    assert prompt.text.startswith("Đồng chí muốn rút lại đồng ý")
    assert "vai trò cán bộ" in prompt.text and prompt.formal
    await org.say("2")
    assert org.last_text == "Dữ liệu và vai trò cán bộ của đồng chí vẫn được giữ nguyên."
    await org.say("/ngonngu")
    assert org.last_prompt().text == "Đồng chí chọn ngôn ngữ:" and org.last_prompt().formal
    await org.say("/huy")
    await org.say("/huy")
    assert "Gõ /start để xem các việc cần làm" in org.last_text
    await org.say("/vaitro")
    assert org.last_text.startswith("Vai trò của đồng chí:")
    await org.say("/xoa")
    await org.say("1")
    assert org.last_text == "Đã xóa dữ liệu và vai trò cán bộ của đồng chí."
    assert not BAN.search(said(org, start)), said(org, start)


async def test_a_young_person_deleting_their_data_is_still_ban(
    province_app: App, campaign: Campaign, engine: Engine
) -> None:
    young = Talker(engine, user_id="young")
    await young.say("/start")
    await young.say("1")  # consent
    await young.say("/xoa")
    assert young.last_prompt().text.startswith("Bạn muốn rút lại đồng ý")
    await young.say("2")
    assert young.last_text == "Dữ liệu của bạn vẫn được giữ nguyên."
    await young.say("/huy")
    assert "Gõ /hoi để gửi câu hỏi" in young.last_text


async def test_an_officials_file_photo_and_unknown_command_are_answered_formally(
    province_app: App, campaign: Campaign
) -> None:
    """A department sending its answer as a Word file was told "Mình chưa mở được tệp…
    Bạn gõ câu hỏi bằng chữ giúp mình nhé, hoặc gõ /hoi để bắt đầu."; an unknown command
    "Mình chưa hiểu lệnh …"."""
    engine = build_engine(province_app)
    org = await official(province_app, engine, "department", "dep", department="Sở Nội vụ")
    await org.say("/huy")  # idle
    start = len(org.transcript)
    await org.event(
        EventKind.MEDIA, media_type="document", file_name="tra-loi.docx", file_content=b"PK"
    )
    assert "Hệ thống chưa mở được tệp này" in org.last_text and "/phieu" in said(org, start)
    assert "gõ câu hỏi bằng chữ" not in said(org, start)  # the tasks instead
    await org.event(EventKind.MEDIA, media_type="photo")
    assert "Hệ thống chỉ đọc được tin nhắn bằng chữ." in said(org, start)
    await org.say("/baocaoo")
    assert org.last_text.startswith("Hệ thống chưa có lệnh /baocaoo. Đồng chí gõ /trogiup")
    assert not BAN.search(said(org, start)) and "Mình" not in said(org, start)

    young = Talker(engine, user_id="young")
    await young.say("/start")
    await young.say("1")
    await young.say("/huy")
    await young.event(EventKind.MEDIA, media_type="photo")
    assert "Mình chưa xem được ảnh" in said(young, len(young.transcript) - 1)
    await young.say("/baocaoo")
    assert young.last_text.startswith("Mình chưa hiểu lệnh /baocaoo")


# -- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "grouped"), [("vi", "3.500"), ("en", "3,500")], ids=["vi", "en"]
)
def test_counts_and_limits_are_grouped_as_the_reader_writes_numbers(
    language: str, grouped: str
) -> None:
    """ "tối đa 3500 ký tự", "gửi tới 3500 người": Vietnamese groups thousands with a
    dot, English with a comma; a count given to a message is grouped wherever it is."""
    tr = translator(language)
    assert grouped in tr("answer.type_text", limit=3500)
    assert grouped in tr.n("count.questions", 3500)  # {n} of a plural message
    assert grouped in tr.n("broadcast.preview", 3500, text="Họp chi đoàn")
    report = tr.n("broadcast.report", 0, id=7, sent=3500, total=3500, failed=1200)
    assert f"{grouped}/{grouped}" in report and f"1{grouped[1]}200" in report
    assert grouped in Message("answer.length", max=3500).render(tr)  # an error's limit
    # Ids, years and failures under a thousand are as they were.
    vi = translator("vi")
    report = vi.n("broadcast.report", 1, id=12345, sent=1, total=2, failed=0)
    assert "thông báo số 12345: đã gửi 1/2" in report
    date = vi("digest.docx.date", place="Cao Bằng", day="05", month=8, year=2025)
    assert date == "Cao Bằng, ngày 05 tháng 8 năm 2025"


async def test_an_official_answering_reads_the_length_limit_grouped(
    province_app: App, campaign: Campaign, engine: Engine
) -> None:
    """/traloi said "tối đa 3500 ký tự"; /thongbao "tối đa 2000 ký tự"."""
    assert MAX_ANSWER_CHARS >= 1000 and MAX_BROADCAST_CHARS >= 1000
    asked = await question(province_app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    organiser = await official(province_app, engine, "organiser", "org")
    await organiser.say(f"/traloi {asked.code}")
    limit = f"{MAX_ANSWER_CHARS:,}".replace(",", ".")
    assert f"tối đa {limit} ký tự" in organiser.last_text, organiser.last_text
    await organiser.say("/huy")
    await organiser.say("/thongbao")
    texts = said(organiser, len(organiser.transcript) - 1)
    while "ký tự" not in texts and organiser.last_prompt().choices:
        await organiser.press_payload(organiser.last_prompt().choices[0].payload)
        texts = said(organiser, len(organiser.transcript) - 1)
    limit = f"{MAX_BROADCAST_CHARS:,}".replace(",", ".")
    assert f"{limit} ký tự" in texts, texts


# -- file names ---------------------------------------------------------------------------

# Letters, digits and "-" only: nothing Windows forbids (<>:"/\\|?*), no space Zalo or
# e-mail clients mangle, no accent a zip or an old Windows Explorer garbles.
SAFE_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\.(?:xlsx|docx|png|csv|jsonl|txt)")


def test_slugs_keep_every_letter() -> None:
    """A "Ð" (the Icelandic eth, left by names converted from old Vietnamese encodings) was
    dropped ("Ðoàn" → "oan"), and so were full-width letters ("Ｓở Ｙ tế" → "o-te")."""
    assert slugify("Ðoàn phường Thục Phán") == "doan-phuong-thuc-phan"
    assert slugify("Ｓở Ｙ tế") == "so-y-te"
    assert slugify("Xã Đàm Thuỷ") == slugify("Xã Đàm Thủy") == "xa-dam-thuy"
    assert slugify("Xã Ia H'Drai") == "xa-ia-h-drai"


def test_the_summary_is_named_for_its_host() -> None:
    """ "tong-hop-20250805-0830.docx" said nothing of whose dialogue it summarises, once
    Sở Nội vụ had the files of the province and of a commune in one folder."""
    when = datetime(2025, 8, 5, 8, 30)
    assert document_stem("campaign", "UBND tỉnh Cao Bằng", when, host="Cao Bằng") == (
        "tong-hop-cao-bang-20250805-0830"
    )
    assert document_stem("campaign", "", when, host="Phường Thục Phán") == (
        "tong-hop-phuong-thuc-phan-20250805-0830"
    )
    assert document_stem("unit", "Phường Thục Phán", when, host="Cao Bằng") == (
        "phuong-thuc-phan-20250805-0830"
    )


async def test_an_organisers_report_files_are_named_safely_with_host_and_date(
    province_app: App, campaign: Campaign
) -> None:
    await question(province_app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    organiser = await official(province_app, build_engine(province_app), "organiser", "org")
    replies = await organiser.say("/baocao")
    names = [a.filename for r in replies for a in r.attachments]
    assert {name.rsplit(".", 1)[1] for name in names} == {"xlsx", "docx", "png"}, names
    today = province_app.local_now()
    for name in names:
        assert SAFE_NAME.fullmatch(name), name
        assert name.startswith(f"tong-hop-cao-bang-{today:%Y%m%d}-"), name
        assert len(name) <= 100


async def test_a_departments_sheet_waiting_to_be_sent_is_never_overwritten(
    province_app: App, campaign: Campaign
) -> None:
    """/phieu wrote every campaign's sheet of a department to one "tra-loi-so-noi-vu.xlsx":
    a second campaign's sheet (or a second request) replaced the file while the first was
    still waiting in the outbox, and the department received the wrong campaign's sheet."""
    app = province_app
    other = await create_campaign(app, title="Đối thoại 2026", dialogue=date(2026, 8, 28))
    first = await question(app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    second = await question(app, other, "minh", "Tỉnh có hỗ trợ thanh niên khởi nghiệp không?")
    for c in (campaign, other):
        topic = next(t for t in await app.store.campaigns.topics(c.id) if "việc làm" in t.name)
        await app.store.questions.route_topic(topic.id, "Sở Nội vụ", now=app.clock.now())
    build_engine(app)
    sheets = [await produce_sheet(app, c, "Sở Nội vụ", language="vi") for c in (campaign, other)]
    paths = [reply.attachments[0].path for reply in sheets]
    assert paths[0] != paths[1]
    for path, asked, not_asked in zip(paths, (first, second), (second, first), strict=True):
        assert SAFE_NAME.fullmatch(path.name), path.name
        assert re.fullmatch(r"tra-loi-so-noi-vu-\d{8}-\d{4}(?:-\d)?\.xlsx", path.name)
        book = openpyxl.load_workbook(path, read_only=True)
        cells = {str(c) for row in book.active.iter_rows(values_only=True) for c in row}
        assert asked.code in cells and not_asked.code not in cells


async def test_the_documents_after_the_dialogue_name_their_host(
    province_app: App, campaign: Campaign
) -> None:
    """/vanban gave "thong-bao-ket-luan-20250830-0800.docx": no word of whose notice."""
    organiser = await official(province_app, build_engine(province_app), "organiser", "org")
    for command, stem in (("ketluan", "thong-bao-ket-luan"), ("kichban", "kich-ban")):
        replies = await organiser.say(f"/vanban {command}")
        [attachment] = [a for r in replies for a in r.attachments]
        assert SAFE_NAME.fullmatch(attachment.filename), attachment.filename
        assert re.fullmatch(rf"{stem}-cao-bang-\d{{8}}-\d{{4}}\.docx", attachment.filename)


async def test_the_campaign_list_groups_its_question_counts(
    province_app: App, campaign: Campaign, capsys: pytest.CaptureFixture[str]
) -> None:
    """`youthbot campaign list` printed "  1000 câu hỏi"."""
    app = province_app
    asked = await question(app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    for number in range(999):
        await app.store.questions.create(
            NewQuestion(
                campaign_id=campaign.id,
                person_id=asked.person_id or 0,
                unit_id=asked.unit_id,
                topic_id=asked.topic_id,
                category=None,
                text=f"Câu hỏi thử số {number} về việc làm cho thanh niên?",
                asker_name=None,
                anonymous=True,
                channel="test",
                late=False,
            ),
            now=app.clock.now(),
        )
    assert await asyncio.to_thread(main, ["campaign", "list"]) == 0
    assert " 1.000 câu hỏi" in capsys.readouterr().out


def test_the_organising_committee_is_named_with_a_capital() -> None:
    """ "liên hệ ban tổ chức" beside "Ban tổ chức" everywhere else: the body's name."""
    vi = translator("vi")
    for key in ("invite.usage", "invite.unknown", "invite.expired", "help.cmd.invite_admin"):
        assert "Ban tổ chức" in vi(key) and "ban tổ chức" not in vi(key), key


async def test_the_command_lines_sheets_of_two_campaigns_are_both_kept(
    province_app: App, campaign: Campaign, tmp_path: Path
) -> None:
    """`youthbot answers sheet --all --out DIR` wrote "tra-loi-so-noi-vu.xlsx" for every
    campaign: the second campaign's replaced the first's."""
    app = province_app
    other = await create_campaign(app, title="Đối thoại 2026", dialogue=date(2026, 8, 28))
    for c in (campaign, other):
        await question(app, c, f"lan-{c.id}", f"Câu hỏi về việc làm của đợt {c.id}?")
        topic = next(t for t in await app.store.campaigns.topics(c.id) if "việc làm" in t.name)
        await app.store.questions.route_topic(topic.id, "Sở Nội vụ", now=app.clock.now())
    for c in (campaign, other):
        argv = ["answers", "sheet", "--all", "--campaign", str(c.id), "--out", str(tmp_path)]
        assert await asyncio.to_thread(main, argv) == 0
    written = sorted(p.name for p in tmp_path.glob("tra-loi-so-noi-vu-*.xlsx"))
    assert len(written) == 2 and all(SAFE_NAME.fullmatch(name) for name in written), written
