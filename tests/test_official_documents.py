"""Documents an official can send as they are (Nghị định 30/2020/NĐ-CP): the frame's head
and foot, issuers per level and unit set with `youthbot campaign edit`, the summary, a
unit's own list and a department's letter from one command, every question of an issue
listed, file names, and the documents rendered by LibreOffice.

The campaign is stored through the real repositories in a real SQLite file; documents are
read back with python-docx and openpyxl, and converted to PDF by LibreOffice where it is
installed.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign.setup import create_campaign
from bot.cli import main
from bot.documents.build import DigestScope
from bot.documents.frame import (
    Heading,
    OfficialDocument,
    Table,
    Text,
    recipient_lines,
    write_official_document,
)
from bot.documents.issuers import (
    Issuer,
    IssuerContext,
    IssuerSettings,
    Signer,
    default_settings,
    resolve,
)
from bot.documents.names import document_stem, reserve, slugify
from bot.documents.produce import produce_digest
from bot.documents.verbatim import is_verbatim_case
from handlers.roles import create_invite
from locales import Translator
from storage.models import Campaign, NewQuestion, NewUnit, UnitKind
from tests import rendering
from tests.talk import Talker

VI = Translator("vi")

# --- a campaign stored through the repositories ---------------------------------------------

JOBS = "Tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp đại học về quê?"
JOBS_TEEN = "em muon hoi tinh co ho tro tn tim viec lam sau tot nghiep ko a"
SOLDIERS = "Thanh niên xuất ngũ về địa phương được hỗ trợ học nghề miễn phí như thế nào?"
DISABLED = "Thanh niên khuyết tật muốn học nghề tin học, làm việc từ xa thì được hỗ trợ gì?"
ENGLISH = "Is there any support for young people who want to start a business here?"
SCHOOL = "Bếp ăn bán trú của trường có được kiểm tra an toàn thực phẩm thường xuyên không?"


@dataclass
class Seeded:
    app: App
    campaign: Campaign
    codes: dict[str, str]  # key → question code


async def _ask(
    app: App,
    campaign: Campaign,
    *,
    who: str,
    name: str | None,
    unit_code: str,
    topic: str,
    text: str,
    anonymous: bool = False,
) -> tuple[str, int, int]:
    store = app.store
    now = app.clock.now()
    person, _ = await store.people.get_or_create(
        channel="test", external_id=who, chat_id=who, display_name=name, language="vi", now=now
    )
    unit = await store.units.by_code(unit_code)
    assert unit is not None
    # The person's real name is stored even when they ask anonymously: it must never print.
    await store.people.update(person.id, now=now, full_name=name or "Tên Thật Ẩn", unit_id=unit.id)
    topics = {t.name: t.id for t in await store.campaigns.topics(campaign.id)}
    question = await store.questions.create(
        NewQuestion(
            campaign_id=campaign.id,
            person_id=person.id,
            unit_id=unit.id,
            topic_id=topics[topic],
            category=None,
            text=text,
            asker_name=None if anonymous else name,
            anonymous=anonymous,
            channel="telegram",
            late=False,
        ),
        now=now,
    )
    app.clock.advance(timedelta(minutes=30))  # type: ignore[attr-defined]
    return question.code, question.id, person.id


@pytest.fixture
async def seeded(province_app: App) -> Seeded:
    app = province_app
    await app.store.units.upsert_many(
        [
            NewUnit(
                code="thpt-chuyen-cb",
                name="Trường THPT Chuyên Cao Bằng",
                kind=UnitKind.SCHOOL,
                search_key="truong thpt chuyen cao bang",
                source="csv",
                province_code="p04",
                parent_code="p04",
            )
        ],
        now=app.clock.now(),
    )
    campaign = await create_campaign(
        app, title="Hội nghị đối thoại năm 2025", dialogue=date(2025, 8, 28)
    )
    jobs = "Nghề nghiệp, việc làm"
    codes: dict[str, str] = {}
    ids: dict[str, int] = {}
    specs = [
        ("jobs", "Nông Thị Hoa", "w01273", jobs, JOBS, False),
        ("jobs_teen", "Lục Thị Thu", "w01279", jobs, JOBS_TEEN, False),
        ("jobs_twin", "Bế Văn Long", "w01279", jobs, JOBS, False),
        ("soldiers", "Hoàng Văn Nam", "w01273", "Thanh niên xuất ngũ", SOLDIERS, False),
        ("disabled", None, "w01279", jobs, DISABLED, True),
        ("english", "Đinh Thị Mai", "w01288", "Khởi nghiệp, lập nghiệp, vay vốn", ENGLISH, False),
        ("school", "Vi Thị Hằng", "thpt-chuyen-cb", "An toàn thực phẩm trường học", SCHOOL, False),
    ]
    for key, name, unit, topic, text, anonymous in specs:
        codes[key], ids[key], _ = await _ask(
            app,
            campaign,
            who=key,
            name=name,
            unit_code=unit,
            topic=topic,
            text=text,
            anonymous=anonymous,
        )
    now = app.clock.now()
    store = app.store
    jobs_cluster = await store.clusters.add(campaign.id, ids["jobs"], now=now)
    for key in ("jobs_teen", "jobs_twin"):
        await store.clusters.assign(ids[key], jobs_cluster)
    # A merge across topic groups (the "khuyết tật" question under "xuất ngũ"): its words
    # and its own topic must still show.
    soldiers_cluster = await store.clusters.add(campaign.id, ids["soldiers"], now=now)
    await store.clusters.assign(ids["disabled"], soldiers_cluster)
    supporter, _ = await store.people.get_or_create(
        channel="test", external_id="fan", chat_id="fan", display_name=None, language="vi", now=now
    )
    await store.questions.add_support(ids["jobs"], supporter.id, None, now=now)
    topics = {t.name: t.id for t in await store.campaigns.topics(campaign.id)}
    await store.questions.route_topic(topics[jobs], "Sở Nội vụ", now=now)
    await store.questions.route_question(ids["soldiers"], "Bộ Chỉ huy Quân sự tỉnh", now=now)
    await store.questions.save_answer(
        ids["jobs"], "Tỉnh hỗ trợ qua Trung tâm Dịch vụ việc làm.", now=now, by="Sở Nội vụ"
    )
    return Seeded(app, campaign, codes)


def _text(document: DocxDocument) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                parts.extend(p.text for p in cell.paragraphs)
    return "\n".join(parts)


@dataclass
class Read:
    """A document's parts as python-docx reads them."""

    document: DocxDocument
    issuer: list[str]  # left of the head, top to bottom
    motto: list[str]  # right of the head
    number: list[str]  # "Số: …" and the "V/v" lines of a letter
    date: str
    recipients: list[str]
    signer: list[str]
    body: str

    @classmethod
    def of(cls, path: Path) -> Read:
        document = docx.Document(str(path))
        head = document.tables[0]
        foot = document.tables[-1]

        def lines(cell: object) -> list[str]:
            return [p.text for p in cell.paragraphs if p.text.strip()]  # type: ignore[attr-defined]

        date_cell = head.rows[1].cells[1]
        assert all(r.italic for p in date_cell.paragraphs for r in p.runs)
        return cls(
            document=document,
            issuer=lines(head.rows[0].cells[0]),
            motto=lines(head.rows[0].cells[1]),
            number=lines(head.rows[1].cells[0]),
            date=date_cell.text,
            recipients=lines(foot.rows[0].cells[0]),
            signer=lines(foot.rows[0].cells[1]),
            body="\n".join(p.text for p in document.paragraphs),
        )


async def _document(seeded: Seeded, scope: DigestScope, tmp_path: Path) -> Path:
    files = await produce_digest(
        seeded.app.store,
        seeded.campaign,
        scope=scope,
        show_names=True,
        language="vi",
        now=seeded.app.clock.now(),
        out_dir=tmp_path,
        local_now=seeded.app.local_now(),
    )
    assert files.docx is not None
    return files.docx


async def _unit_scope(app: App, code: str) -> DigestScope:
    unit = await app.store.units.by_code(code)
    assert unit is not None
    return DigestScope(kind="unit", unit_id=unit.id)


# --- the summary ----------------------------------------------------------------------------


async def test_summary_has_the_decree_30_head_and_foot(seeded: Seeded, tmp_path: Path) -> None:
    read = Read.of(await _document(seeded, DigestScope(), tmp_path))
    assert read.issuer == ["BCH ĐOÀN TỈNH CAO BẰNG", "BAN THƯỜNG VỤ"]
    issuer_runs = read.document.tables[0].rows[0].cells[0].paragraphs[1].runs
    assert all(r.bold for r in issuer_runs)
    # Youth Union bodies carry "ĐOÀN TNCS HỒ CHÍ MINH" instead of the national motto.
    assert read.motto == ["ĐOÀN TNCS HỒ CHÍ MINH"]
    assert "CỘNG HÒA" not in _text(read.document)
    # The number is left blank for the clerk.
    assert len(read.number) == 1 and re.fullmatch(r"Số:\s+/BC-TĐTN", read.number[0])
    assert read.date == "Cao Bằng, ngày 01 tháng 7 năm 2025"
    assert "BÁO CÁO" in read.body
    assert "Tổng hợp câu hỏi, ý kiến, kiến nghị của thanh niên" in read.body
    assert read.signer == ["TM. BAN THƯỜNG VỤ", "BÍ THƯ"]  # no name yet: signed by hand
    assert read.recipients == [
        "Nơi nhận:",
        "- Sở Nội vụ tỉnh Cao Bằng;",
        "- UBND tỉnh Cao Bằng (để báo cáo);",
        "- Lưu: VT, VP.",
    ]
    # The rules under the issuer, the motto and the title are borders, not typed dashes.
    borders = read.document.element.body.findall(f".//{qn('w:pBdr')}")
    assert len(borders) >= 3
    assert not re.search(r"^[ \t]*[—–_-]{2,}[ \t]*$", _text(read.document), re.MULTILINE)


async def test_summary_lists_every_question_and_counts_add_up(
    seeded: Seeded, tmp_path: Path
) -> None:
    read = Read.of(await _document(seeded, DigestScope(), tmp_path))
    text = _text(read.document)
    codes = seeded.codes
    for words in (JOBS, JOBS_TEEN, SOLDIERS, DISABLED, ENGLISH, SCHOOL):
        assert words in text, words
    # The representative, then each differently worded member with its code and unit.
    assert f"Người hỏi: Nông Thị Hoa (Phường Thục Phán), mã {codes['jobs']}" in text
    # The exact duplicate is folded into the representative's askers.
    assert f"Bế Văn Long (Phường Nùng Trí Cao), mã {codes['jobs_twin']}" in text
    assert text.count(JOBS) == 2  # once listed, once in the candidates table
    assert f"- Lục Thị Thu (Phường Nùng Trí Cao), mã {codes['jobs_teen']}: “{JOBS_TEEN}”" in text
    # The question merged from another topic group keeps its words and says its group.
    assert (
        f"- Ẩn danh (Phường Nùng Trí Cao), mã {codes['disabled']}"
        " (nhóm vấn đề: Nghề nghiệp, việc làm): “" + DISABLED
    ) in text
    # Anonymous askers are never named.
    assert "Tên Thật Ẩn" not in text
    # Teencode, no diacritics and English are quoted as received, and marked so.
    assert f"“{JOBS_TEEN}” (nguyên văn)" in text
    assert f"“{ENGLISH}” (nguyên văn)" in text
    assert f"“{SOLDIERS}” (nguyên văn)" not in text
    assert "được ghi chú “(nguyên văn)”" in text
    # Counts: headings add up to the total, issues to their headings.
    headings = [p.text for p in read.document.paragraphs if p.style.name == "YB Topic"]
    counts = [int(m.group(1)) for h in headings if (m := re.search(r"\((\d+) ý kiến\)", h))]
    assert sum(counts) == 7
    assert "đã tiếp nhận 7 câu hỏi, ý kiến, kiến nghị của 8 thanh niên" in text
    assert "Số thanh niên quan tâm: 4 (3 câu hỏi)." in text  # 3 askers + 1 supporter
    issue_counts = [
        int(n) for n in re.findall(r"Số thanh niên quan tâm: \d+ \((\d+) câu hỏi", text)
    ]
    assert sum(issue_counts) == 7


# --- a unit's own list ----------------------------------------------------------------------


async def test_unit_list_is_issued_by_the_unit_and_counts_only_its_questions(
    seeded: Seeded, tmp_path: Path
) -> None:
    path = await _document(seeded, await _unit_scope(seeded.app, "w01279"), tmp_path)
    assert path.name.startswith("phuong-nung-tri-cao-") and path.suffix == ".docx"
    read = Read.of(path)
    assert read.issuer == ["BCH ĐOÀN TỈNH CAO BẰNG", "ĐOÀN PHƯỜNG NÙNG TRÍ CAO"]
    assert read.motto == ["ĐOÀN TNCS HỒ CHÍ MINH"]
    assert re.fullmatch(r"Số:\s+/BC-ĐTN", read.number[0])
    assert read.date.startswith("Nùng Trí Cao, ngày ")
    assert "UBND TỈNH" not in _text(read.document)
    assert "của thanh niên phường Nùng Trí Cao" in read.body
    assert "đã tiếp nhận 3 câu hỏi" in read.body
    text = _text(read.document)
    for words in (JOBS_TEEN, DISABLED):
        assert words in text
    assert SOLDIERS not in text and SCHOOL not in text  # other units' questions
    assert read.recipients == [
        "Nơi nhận:",
        "- Ban Thường vụ Tỉnh đoàn Cao Bằng;",
        "- UBND phường Nùng Trí Cao;",
        "- Lưu: VT.",
    ]
    assert read.signer == ["TM. BAN CHẤP HÀNH", "BÍ THƯ"]
    assert "kính báo cáo Ban Thường vụ Tỉnh đoàn Cao Bằng" in read.body

    school = Read.of(
        await _document(seeded, await _unit_scope(seeded.app, "thpt-chuyen-cb"), tmp_path)
    )
    assert school.issuer[-1] == "ĐOÀN TRƯỜNG THPT CHUYÊN CAO BẰNG"
    assert school.recipients[1:] == ["- Ban Thường vụ Tỉnh đoàn Cao Bằng;", "- Lưu: VT."]


# --- a department's letter ------------------------------------------------------------------


async def test_department_letter_forwards_its_questions_by_the_deadline(
    seeded: Seeded, tmp_path: Path
) -> None:
    scope = DigestScope(kind="department", department="Bộ Chỉ huy Quân sự tỉnh")
    path = await _document(seeded, scope, tmp_path)
    assert path.name.startswith("bo-chi-huy-quan-su-tinh-")
    read = Read.of(path)
    assert read.issuer == ["UBND TỈNH CAO BẰNG", "SỞ NỘI VỤ"]
    assert read.motto == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    # A letter: the "V/v" summary under the number, no centred kind.
    assert re.fullmatch(r"Số:\s+/SNV-CTTN", read.number[0])
    assert read.number[1:] == ["V/v chuyển câu hỏi, kiến nghị", "của thanh niên"]
    assert "BÁO CÁO" not in read.body
    assert "Kính gửi: Bộ Chỉ huy Quân sự tỉnh." in read.body
    assert "trước ngày 26/08/2025" in read.body  # the campaign's answers deadline
    assert "Hội nghị đối thoại dự kiến tổ chức ngày 28/08/2025." in read.body
    text = _text(read.document)
    assert SOLDIERS in text
    assert DISABLED not in text and JOBS not in text  # their topic went to Sở Nội vụ
    assert read.signer == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]
    assert read.recipients[1] == "- Như trên;"
    assert read.recipients[-1] == "- Lưu: VT, CTTN."

    # The questions routed to Sở Nội vụ itself go to its own divisions: it never addresses
    # or lists itself.
    own = Read.of(
        await _document(seeded, DigestScope(kind="department", department="Sở Nội vụ"), tmp_path)
    )
    assert "Kính gửi: Các phòng, đơn vị thuộc Sở Nội vụ." in own.body
    assert not any("- Sở Nội vụ" in line for line in own.recipients)


# --- campaign edit, export and digest commands ----------------------------------------------


async def _cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_campaign_edit_sets_issuers_signers_and_recipients(
    seeded: Seeded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = str(seeded.campaign.id)
    # Since 2025 the Tỉnh đoàn's agency is the Fatherland Front's Ban Công tác thanh thiếu nhi.
    assert (
        await _cli(
            "campaign",
            "edit",
            cid,
            "--issuer",
            "Ban Công tác thanh thiếu nhi",
            "--issuer-parent",
            "Ủy ban MTTQ Việt Nam {province}",
            "--symbol",
            "BC-BCTTTN",
            "--signer-authority",
            "KT. TRƯỞNG BAN",
            "--signer-title",
            "PHÓ TRƯỞNG BAN",
            "--signer-name",
            "Hoàng Thị Minh",
            "--recipient",
            "Sở Nội vụ {province}",
            "--recipient",
            "Ban Công tác thanh thiếu nhi",  # the issuer itself: dropped
            "--keep-copy",
            "VP",
        )
        == 0
    )
    assert (
        await _cli(
            "campaign",
            "edit",
            cid,
            "--documents-for",
            "w01279",
            "--signer-name",
            "Lương Văn Đức",
            "--signer-title",
            "PHÓ BÍ THƯ",
        )
        == 0
    )
    assert (
        await _cli(
            "campaign",
            "edit",
            cid,
            "--documents",
            "department",
            "--signer-name",
            "Triệu Văn Bình",
            "--doc-number",
            "125",
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Người ký: KT. GIÁM ĐỐC, PHÓ GIÁM ĐỐC, Triệu Văn Bình" in out

    summary = Read.of(await _document(seeded, DigestScope(), tmp_path))
    assert summary.issuer == ["ỦY BAN MTTQ VIỆT NAM TỈNH CAO BẰNG", "BAN CÔNG TÁC THANH THIẾU NHI"]
    assert summary.motto[0] == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"  # not a Youth Union body
    assert re.fullmatch(r"Số:\s+/BC-BCTTTN", summary.number[0])
    assert summary.signer == ["KT. TRƯỞNG BAN", "PHÓ TRƯỞNG BAN", "Hoàng Thị Minh"]
    assert summary.recipients == ["Nơi nhận:", "- Sở Nội vụ tỉnh Cao Bằng;", "- Lưu: VT, VP."]

    unit = Read.of(await _document(seeded, await _unit_scope(seeded.app, "w01279"), tmp_path))
    assert unit.signer == ["TM. BAN CHẤP HÀNH", "PHÓ BÍ THƯ", "Lương Văn Đức"]
    other = Read.of(await _document(seeded, await _unit_scope(seeded.app, "w01273"), tmp_path))
    assert other.signer == ["TM. BAN CHẤP HÀNH", "BÍ THƯ"]  # the override is that unit's only

    letter = Read.of(
        await _document(seeded, DigestScope("department", department="Sở Y tế"), tmp_path)
    )
    assert letter.number[0] == "Số: 125/SNV-CTTN"
    assert letter.signer[-1] == "Triệu Văn Bình"

    assert await _cli("campaign", "show", cid) == 0
    shown = capsys.readouterr().out
    assert "BAN CÔNG TÁC THANH THIẾU NHI" in shown and "w01279" in shown

    # Back to the defaults.
    assert await _cli("campaign", "edit", cid, "--reset-documents") == 0
    again = Read.of(await _document(seeded, DigestScope(), tmp_path))
    assert again.issuer == ["BCH ĐOÀN TỈNH CAO BẰNG", "BAN THƯỜNG VỤ"]


async def test_campaign_edit_refuses_bad_document_options(
    seeded: Seeded, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = str(seeded.campaign.id)
    for argv in (
        ("--issuer", "Đoàn {xa}"),
        ("--issuer", "Đoàn {unit"),
        ("--documents-for", "khong-co"),
        ("--documents", "school", "--documents-for", "w01273"),
    ):
        assert await _cli("campaign", "edit", cid, *argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and not any("Traceback" in line for line in err)
    assert "{xa}" in err[0] and "{unit}" in err[0]
    assert await seeded.app.store.issuers.rows(seeded.campaign.id) == []


async def test_export_writes_the_three_documents_with_human_names(
    seeded: Seeded, capsys: pytest.CaptureFixture[str]
) -> None:
    out = seeded.app.settings.core.out_dir
    assert await _cli("export", "--format", "docx") == 0
    assert await _cli("export", "--format", "docx", "--unit", "w01273") == 0
    assert await _cli("export", "--format", "docx", "--department", "Sở Nội vụ") == 0
    assert await _cli("export", "--format", "xlsx", "--department", "Sở Nội vụ") == 0
    names = sorted(p.name for p in out.iterdir())
    prefixes = ("tong-hop-", "phuong-thuc-phan-", "so-noi-vu-")
    assert len(names) == 4 and all(n.startswith(prefixes) for n in names), names
    assert not any(re.search(rf"\b{seeded.campaign.id}\b|don-vi|dot-", n) for n in names)
    # A department without questions gets one line naming those that have some, not an empty
    # letter ("So Noi vu", without accents, is Sở Nội vụ: departments are found as route finds
    # them).
    assert await _cli("export", "--format", "docx", "--department", "Sở Y tế") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].endswith("Bộ Chỉ huy Quân sự tỉnh, Sở Nội vụ.")
    unit = Read.of(next(out.glob("phuong-thuc-phan-*.docx")))
    assert unit.issuer[-1] == "ĐOÀN PHƯỜNG THỤC PHÁN"
    book = openpyxl.load_workbook(next(out.glob("so-noi-vu-*.xlsx")))
    sheet = book["Câu hỏi"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert {r["Cơ quan trả lời"] for r in rows} == {"Sở Nội vụ"}
    answered = [r for r in rows if r["Nội dung trả lời"]]
    assert [r["Mã câu hỏi"] for r in answered] == [seeded.codes["jobs"]]
    assert [r["STT"] for r in rows] == list(range(1, len(rows) + 1))
    assert all(re.match(r"[IVX]+\.\d+\. ", r["Vấn đề"]) for r in rows)


async def test_digest_and_baocao_attach_the_units_document(
    seeded: Seeded, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _cli("digest", "--unit", "w01273") == 0
    out = seeded.app.settings.core.out_dir
    [written] = list(out.glob("phuong-thuc-phan-*.docx"))
    assert Read.of(written).issuer[-1] == "ĐOÀN PHƯỜNG THỤC PHÁN"

    app = seeded.app
    unit = await app.store.units.by_code("w01279")
    assert unit is not None
    engine = build_engine(app)
    code = await create_invite(app.store, "secretary", now=app.clock.now(), unit_id=unit.id)
    secretary = Talker(engine, user_id="secretary")
    await secretary.say(f"/nhanquyen {code}")
    replies = await secretary.say("/baocao")
    documents = [a.path for a in replies[0].attachments if a.path.suffix == ".docx"]
    assert len(documents) == 1 and documents[0].name.startswith("phuong-nung-tri-cao-")
    read = Read.of(documents[0])
    assert read.issuer[-1] == "ĐOÀN PHƯỜNG NÙNG TRÍ CAO"
    assert SOLDIERS not in _text(read.document)  # only the unit's questions


# --- the frame and its parts, on hand-made data ---------------------------------------------

ISSUER = Issuer(
    name="Sở Nội vụ",
    parent="UBND tỉnh Cao Bằng",
    letterhead="state",
    symbol="TB-SNV",
    number="15",
    place="Cao Bằng",
    signer=Signer("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Triệu Văn Bình"),
    recipients=("Sở Nội vụ", "- UBND tỉnh Cao Bằng;", "Như trên", "Lưu: VT, VP"),
    archive="CTTN",
)


def test_frame_writes_any_body_between_the_head_and_foot(tmp_path: Path) -> None:
    document = OfficialDocument(
        issuer=ISSUER,
        kind="Thông báo",
        title="Kết luận của Chủ tịch UBND tỉnh\ntại Hội nghị đối thoại với thanh niên",
        date=date(2025, 9, 5),
        addressees=("Sở Y tế", "Sở Tài chính"),
    )
    blocks = [
        Heading("I. Câu hỏi và trả lời"),
        Text("Nội dung kết luận./."),
        Table(("STT", "Nội dung"), (("1", "Câu hỏi"),), widths_cm=(1.5, 14.5)),
    ]
    read = Read.of(write_official_document(document, tmp_path / "tb.docx", body=blocks, tr=VI))
    assert read.issuer == ["UBND TỈNH CAO BẰNG", "SỞ NỘI VỤ"]
    assert read.number == ["Số: 15/TB-SNV"]
    assert read.date == "Cao Bằng, ngày 05 tháng 9 năm 2025"
    assert "THÔNG BÁO\nKết luận của Chủ tịch UBND tỉnh\ntại Hội nghị" in read.body
    assert "Kính gửi:\n- Sở Y tế;\n- Sở Tài chính." in read.body
    assert "I. Câu hỏi và trả lời\nNội dung kết luận./." in read.body
    assert read.document.tables[1].rows[1].cells[1].text == "Câu hỏi"
    # Never the issuer itself; "Như trên" for the addressees; "Lưu" last, merged.
    assert read.recipients == [
        "Nơi nhận:",
        "- UBND tỉnh Cao Bằng;",
        "- Như trên;",
        "- Lưu: VT, CTTN, VP.",
    ]
    assert read.signer == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Triệu Văn Bình"]
    # The callback form gives the python-docx document too.
    seen = []
    write_official_document(
        document, tmp_path / "cb.docx", body=lambda out: seen.append(out.document), tr=VI
    )
    assert len(seen) == 1


def test_recipients_without_addressees_drop_nhu_tren_and_self() -> None:
    issuer = replace(
        ISSUER,
        name="Ban Thường vụ",
        parent="BCH Đoàn tỉnh Cao Bằng",
        recipients=(
            "Ban Thường vụ BCH Đoàn tỉnh Cao Bằng (để báo cáo)",
            "Ban Thường vụ",
            "Như trên",
            "Sở Nội vụ",
        ),
        archive="",
    )
    assert recipient_lines(issuer, addressed=False, tr=VI) == ["- Sở Nội vụ;", "- Lưu: VT."]


def test_issuer_defaults_and_placeholders() -> None:
    context = IssuerContext(province_name="Cao Bằng", host="UBND tỉnh Cao Bằng")
    ward = resolve("commune", replace(context, unit="Phường Thục Phán"))
    assert (ward.name, ward.parent, ward.place) == (
        "Đoàn phường Thục Phán",
        "BCH Đoàn tỉnh Cao Bằng",
        "Thục Phán",
    )
    assert ward.recipients == ("Ban Thường vụ Tỉnh đoàn Cao Bằng", "UBND phường Thục Phán")
    city = resolve("province", IssuerContext(province_name="Thành phố Hà Nội", host="UBND TP"))
    assert city.parent == "BCH Đoàn thành phố Hà Nội"
    assert city.recipients[0] == "Sở Nội vụ thành phố Hà Nội"
    # A commune's own dialogue: its Youth Union sends the summary to its UBND.
    commune = resolve(
        "province",
        replace(
            context, campaign_level="commune", host="UBND xã Đàm Thuỷ", host_unit="Xã Đàm Thuỷ"
        ),
    )
    assert commune.name == "Đoàn xã Đàm Thuỷ" and commune.recipients[0] == "UBND xã Đàm Thuỷ"
    # Renaming the issuer without a letterhead follows the issuer.
    office = IssuerSettings(issuer="Văn phòng", issuer_parent="UBND {province}")
    renamed = resolve("province", context, layers=[office])
    assert renamed.letterhead == "state"
    kept = resolve(
        "department", context, layers=[IssuerSettings(issuer="Đoàn Khối các cơ quan tỉnh")]
    )
    assert kept.letterhead == "youth_union"
    assert default_settings("department").signer_authority == "KT. GIÁM ĐỐC"


def test_file_names_are_ascii_slugs_without_ids(tmp_path: Path) -> None:
    assert slugify("Sở Nội vụ") == "so-noi-vu"
    assert slugify("Phường Thục Phán") == "phuong-thuc-phan"
    assert slugify("Xã Đàm Thuỷ") == "xa-dam-thuy"
    assert slugify("Sở Văn hóa, Thể thao và Du lịch") == "so-van-hoa-the-thao-va-du-lich"
    assert slugify("!!!") == "tai-lieu"
    when = datetime(2025, 8, 5, 8, 30)
    assert document_stem("campaign", "UBND tỉnh Cao Bằng", when) == "tong-hop-20250805-0830"
    assert document_stem("department", "Sở Nội vụ", when) == "so-noi-vu-20250805-0830"
    # Two digests in the same minute never overwrite each other.
    first = reserve(tmp_path, "tong-hop-20250805-0830", (".xlsx", ".docx"))
    second = reserve(tmp_path, "tong-hop-20250805-0830", (".xlsx", ".docx"))
    assert (first, second) == ("tong-hop-20250805-0830", "tong-hop-20250805-0830-2")


@pytest.mark.parametrize(
    ("text", "marked"),
    [
        (JOBS_TEEN, True),
        (ENGLISH, True),
        ("Cho e hỏi tn xuất ngũ dc hỗ trợ j ko ạ", True),
        ("tinh co ho tro khoi nghiep khong", True),
        (JOBS, False),
        (SOLDIERS, False),
        ("Khi nào có 4G?", False),
        ("Đề nghị tỉnh mở thêm lớp học nghề tin học cho thanh niên dân tộc thiểu số.", False),
    ],
)
def test_verbatim_marks_only_informal_questions(text: str, marked: bool) -> None:
    assert is_verbatim_case(text) is marked


# --- rendered by LibreOffice ----------------------------------------------------------------


async def test_documents_render_within_the_margins(seeded: Seeded, tmp_path: Path) -> None:
    """The three documents and a workbook, converted to PDF by LibreOffice: expected page
    counts, every word inside the margins, Vietnamese in the Times New Roman substitute
    (no fallback face), the signer's block on the same page as "Nơi nhận"."""
    rendering.require_tools()
    out = tmp_path / "out"
    paths = [
        await _document(seeded, DigestScope(), out),
        await _document(seeded, await _unit_scope(seeded.app, "w01279"), out),
        await _document(
            seeded, DigestScope("department", department="Bộ Chỉ huy Quân sự tỉnh"), out
        ),
    ]
    workbook = next(out.glob("tong-hop-*.xlsx"))
    pdfs = rendering.to_pdf(paths, tmp_path / "pdf", tmp_path / "profile")
    pdfs += rendering.to_pdf([workbook], tmp_path / "xlsx-pdf", tmp_path / "profile")
    expected_pages = {"tong-hop": (2, 3), "phuong-nung-tri-cao": (1, 2), "bo-chi-huy": (1, 1)}
    for pdf in pdfs[:3]:
        kind = next(k for k in expected_pages if pdf.name.startswith(k))
        low, high = expected_pages[kind]
        count = rendering.page_count(pdf)
        assert low <= count <= high, (pdf.name, count)
        pages = rendering.pages(pdf)
        for page in pages:
            assert round(page.width) == 595 and round(page.height) == 842  # A4
            # Page numbers sit in the header (1 cm from the top), from page 2 on.
            stray = rendering.outside_margins(
                page, left_cm=3.0, right_cm=2.0, top_cm=1.0, bottom_cm=2.0
            )
            assert not stray, (pdf.name, page.number, [w.text for w in stray][:10])
        faces = rendering.fonts(pdf)
        assert faces and all(re.match(r"(LiberationSerif|Tinos)", f) for f in faces), faces
        text = rendering.text(pdf)
        assert "Nơi nhận:" in text
        last = pages[-1]
        assert any(w.text == "Nơi" for w in last.words), "the foot split from its page"
    summary_text = rendering.text(pdfs[0])
    for words in ("ĐOÀN TNCS HỒ CHÍ MINH", "BCH ĐOÀN TỈNH CAO BẰNG", "Nông Thị Hoa"):
        assert words in summary_text
    # The workbook prints one page wide: every question's code is on a page.
    sheet_text = rendering.text(pdfs[3])
    for code in seeded.codes.values():
        assert code in sheet_text


def test_foot_is_set_apart_from_a_closing_table_or_streamed_text(tmp_path: Path) -> None:
    # Word joins two tables with nothing between them: a body ending on a table (the
    # programme, the report) had its grid run into the "Nơi nhận" / signer table. A body
    # ending on streamed paragraphs (the answers) lost the space before the foot.
    from bot.documents.frame import STYLE_DETAIL, Body, paragraph_xml

    document = OfficialDocument(issuer=ISSUER, kind="Kịch bản", title="Câu hỏi", date=date.today())
    table = [Table(("STT", "Nội dung"), (("1", "Câu hỏi"),), widths_cm=(1.5, 14.5))]

    def streamed(out: Body) -> None:
        out.stream_xml(iter([paragraph_xml(out.style_id(STYLE_DETAIL), [("Câu cuối cùng.", "")])]))

    for name, body in (("stream", streamed), ("table", table)):
        path = write_official_document(document, tmp_path / f"{name}.docx", body=body, tr=VI)
        children = [c for c in docx.Document(str(path)).element.body if c.tag != qn("w:sectPr")]
        assert children[-1].tag == qn("w:tbl")  # the foot
        spacer = children[-2]
        assert spacer.tag == qn("w:p"), name
        assert spacer.find(f"{qn('w:pPr')}/{qn('w:keepNext')}") is not None, name
        if name == "stream":
            last = "".join(t.text or "" for t in children[-3].iter(qn("w:t")))
            assert last == "Câu cuối cùng.", last


def test_a_peoples_committee_issuing_writes_its_name_in_full(tmp_path: Path) -> None:
    # Nghị định 30 lets the parent body's name be shortened ("UBND TỈNH CAO BẰNG" above
    # "SỞ NỘI VỤ"), not the issuing body's own: a commune's report, answers and conclusion
    # were headed "UBND PHƯỜNG THỤC PHÁN".
    commune = replace(ISSUER, name="UBND phường Thục Phán", parent="", symbol="BC-UBND")
    document = OfficialDocument(issuer=commune, kind="Báo cáo", title="Kết quả", date=date.today())
    read = Read.of(write_official_document(document, tmp_path / "c.docx", body=[], tr=VI))
    assert read.issuer == ["ỦY BAN NHÂN DÂN", "PHƯỜNG THỤC PHÁN"]
    bold = [r.bold for p in read.document.tables[0].cell(0, 0).paragraphs for r in p.runs]
    assert bold == [True, True]
    # The parent keeps its usual short form; the body's own recipients are unchanged.
    read = Read.of(
        write_official_document(
            replace(document, issuer=ISSUER), tmp_path / "s.docx", body=[], tr=VI
        )
    )
    assert read.issuer == ["UBND TỈNH CAO BẰNG", "SỞ NỘI VỤ"]


def test_unit_names_in_sentences_and_youth_union_names() -> None:
    # Nghị định 30, Phụ lục II: an administrative unit's kind is not capitalised before its
    # name ("xã Đàm Thuỷ", so "Đoàn xã Đàm Thuỷ"), but an agency's or school's own name is
    # ("Bộ Chỉ huy Quân sự tỉnh Cao Bằng", never "thanh niên bộ Chỉ huy …"). A unit that is
    # itself a Youth Union body is not prefixed again ("Đoàn Đoàn Khối các cơ quan tỉnh").
    context = IssuerContext(province_name="Cao Bằng", host="UBND tỉnh Cao Bằng")
    commune = resolve("commune", replace(context, unit="Xã Đàm Thuỷ"))
    assert commune.name == "Đoàn xã Đàm Thuỷ"
    assert commune.recipients == ("Ban Thường vụ Tỉnh đoàn Cao Bằng", "UBND xã Đàm Thuỷ")
    army = resolve("school", replace(context, unit="Bộ Chỉ huy Quân sự tỉnh Cao Bằng"))
    assert army.name == "Đoàn Bộ Chỉ huy Quân sự tỉnh Cao Bằng"
    assert replace(context, unit="Bộ Chỉ huy Quân sự tỉnh Cao Bằng").values()["unit_lc"] == (
        "Bộ Chỉ huy Quân sự tỉnh Cao Bằng"
    )
    for unit in ("Đoàn Khối các cơ quan tỉnh", "Chi đoàn Công ty Khoáng sản"):
        assert resolve("school", replace(context, unit=unit)).name == unit


async def test_an_agencys_list_names_it_as_it_is_named(seeded: Seeded, tmp_path: Path) -> None:
    app = seeded.app
    unit = NewUnit(
        code="doan-khoi",
        name="Đoàn Khối các cơ quan tỉnh",
        kind=UnitKind.YOUTH_BASE,
        search_key="doan khoi cac co quan tinh",
        source="csv",
        province_code="p04",
        parent_code="p04",
    )
    await app.store.units.upsert_many([unit], now=app.clock.now())
    scope = await _unit_scope(app, "doan-khoi")
    text = _text(docx.Document(str(await _document(seeded, scope, tmp_path))))
    assert "Đoàn Đoàn" not in text and "ĐOÀN ĐOÀN" not in text, text
    assert "thanh niên Đoàn Khối các cơ quan tỉnh" in text, text


async def test_youthbot_cluster_reads_our_own_exports(
    seeded: Seeded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An official exports the questions and groups them again from the file: the export
    is read as it is (codes as ids, the topic group and unit columns used)."""
    out = tmp_path / "exports"
    out.mkdir()
    assert await _cli("export", "--format", "xlsx", "--out", str(out / "cau-hoi.xlsx")) == 0
    assert await _cli("export", "--format", "csv", "--out", str(out / "cau-hoi.csv")) == 0
    capsys.readouterr()
    codes = set(seeded.codes.values())
    assert await _cli("cluster", str(out / "cau-hoi.xlsx")) == 0
    read = capsys.readouterr()
    grouped = [json.loads(line) for line in read.out.splitlines()]
    assert {r["id"] for r in grouped} == codes and len(grouped) == len(codes)
    assert {r["cluster"] for r in grouped} <= codes
    # The two askers of the same jobs question (same topic group) are one group.
    by_code = {r["id"]: r["cluster"] for r in grouped}
    assert by_code[seeded.codes["jobs"]] == by_code[seeded.codes["jobs_twin"]]
    assert by_code[seeded.codes["jobs"]] != by_code[seeded.codes["soldiers"]]
    assert read.err.strip() == "đọc câu hỏi ở trang tính “Câu hỏi”, dòng tiêu đề 1"
    assert await _cli("cluster", str(out / "cau-hoi.csv")) == 0
    read = capsys.readouterr()
    assert len(read.out.splitlines()) == len(codes) and read.err == ""
