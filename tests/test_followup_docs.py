"""The documents after the questions (answers, programme, conclusion, report) read back
with python-docx, and the exports carrying department, answer, answered-at and
commitment per question."""

from __future__ import annotations

import asyncio
import csv
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import docx
import pytest

from bot.application.app import App
from bot.campaign import conclusion, programme
from bot.campaign.setup import create_campaign
from bot.cli import main
from bot.documents.followup import (
    AnsweredQuestion,
    AnswersDocument,
    DepartmentAnswers,
    DocumentHead,
)
from bot.documents.followup_docx import write_followup_docx
from bot.documents.issuers import Issuer, Signer
from handlers.answers import publish, save_answer
from locales import translator
from storage.models import Campaign, Question
from tests.followup import question, support

DIALOGUE = date(2025, 8, 28)


def run(argv: list[str]) -> asyncio.Future[int]:
    return asyncio.to_thread(main, argv)  # type: ignore[return-value]


def text_of(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


@pytest.fixture
async def done(province_app: App) -> tuple[App, Campaign, list[Question]]:
    """A campaign after its dialogue: answers (one published), a programme, the
    conclusion published with two commitments."""
    app = province_app
    store, now = app.store, app.clock.now()
    campaign = await create_campaign(app, title="Hội nghị đối thoại năm 2025", dialogue=DIALOGUE)
    jobs = await question(app, campaign, "a", "Tỉnh hỗ trợ việc làm cho sinh viên thế nào?")
    loans = await question(
        app, campaign, "b", "Vay vốn khởi nghiệp ở đâu?", topic="vay vốn", anonymous=True
    )
    wifi = await question(
        app,
        campaign,
        "c",
        "Bản em chưa có sóng điện thoại.",
        topic="Chuyển đổi số",
        name="Nông Văn Dũng",
    )
    await support(app, wifi, "d")
    topics = await store.campaigns.topics(campaign.id)
    for topic in topics:
        if "việc làm" in topic.name or "vay vốn" in topic.name:
            await store.questions.route_topic(topic.id, "Sở Nội vụ", now=now)
    await store.questions.route_question(wifi.id, "Sở Khoa học và Công nghệ", now=now)
    for q, text in (
        (jobs, "Có Trung tâm Dịch vụ việc làm."),
        (loans, "Ngân hàng Chính sách xã hội cho vay."),
    ):
        await save_answer(store, q, text, now=now, by="Sở Nội vụ", source="test")
    await publish(store, [await store.questions.get(jobs.id)], now=now)  # type: ignore[list-item]
    await programme.propose(store, campaign, now=now)
    await programme.reword(store, campaign, wifi.code, "Khi nào các bản được phủ sóng?", now=now)
    after = datetime(2025, 8, 29, 3, tzinfo=UTC)
    await conclusion.record_answer(
        store, campaign, wifi.code, "Phủ sóng toàn bộ các bản trong năm 2026.", now=after
    )
    await conclusion.add_commitment(
        store,
        campaign,
        owner="Sở KH&CN",
        due=date(2026, 12, 31),
        text="Phủ sóng các bản lõm sóng",
        code=wifi.code,
        now=after,
    )
    await conclusion.add_commitment(
        store,
        campaign,
        owner="SNV",
        due=date(2025, 9, 30),
        text="Báo cáo kết quả đối thoại",
        now=after,
    )
    await conclusion.set_summary(
        store, campaign, "Chủ tịch ghi nhận tinh thần cầu thị của thanh niên.", now=after
    )
    await conclusion.publish(store, campaign, today=date(2025, 8, 29), now=after)
    return app, campaign, [jobs, loans, wifi]


async def test_the_four_documents_read_back(
    done: tuple[App, Campaign, list[Question]], tmp_path: Path
) -> None:
    _, _, (jobs, _, _) = done
    texts = {}
    for kind in ("answers", "programme", "conclusion", "report"):
        out = tmp_path / f"{kind}.docx"
        assert await run(["export", "--format", "docx", "--document", kind, "--out", str(out)]) == 0
        texts[kind] = text_of(out)

    # Each on the Nghị định 30 frame, issued by the body that issues it in practice.
    heads = {
        "answers": ("SỞ NỘI VỤ", "/BC-SNV", "BÁO CÁO\nTổng hợp nội dung trả lời", "KT. GIÁM ĐỐC"),
        "programme": (
            "BAN THƯỜNG VỤ",
            "/KB-TĐTN",
            "KỊCH BẢN\nCâu hỏi đối thoại trực tiếp",
            "BÍ THƯ",
        ),
        "conclusion": ("VĂN PHÒNG", "/TB-VPUBND", "THÔNG BÁO\nKết luận của", "CHÁNH VĂN PHÒNG"),
        "report": ("BAN THƯỜNG VỤ", "/BC-TĐTN", "BÁO CÁO\nKết quả tổ chức", "TM. BAN THƯỜNG VỤ"),
    }
    for kind, (issuer, symbol, title, signer) in heads.items():
        text = texts[kind]
        assert issuer in text and symbol in text and title in text and signer in text, kind
        assert "Nơi nhận:" in text and "- Lưu: VT" in text, kind

    answers = texts["answers"]
    assert (
        "Sở Nội vụ (đã trả lời 2/2)" in answers
        # its one question answered by the chair at the dialogue, as the report counts it
        and "Sở Khoa học và Công nghệ (đã trả lời 1/1)" in answers
    )
    assert "Có Trung tâm Dịch vụ việc làm." in answers and "đã gửi người hỏi" in answers
    assert "chưa gửi người hỏi" in answers
    # The one without a written answer was answered by the chair at the dialogue.
    assert "Chưa có trả lời." not in answers
    assert (
        "Trả lời trực tiếp tại Hội nghị ngày 28/08/2025 (Chủ tịch UBND tỉnh Cao Bằng;"
        " Thông báo kết luận): Phủ sóng toàn bộ các bản" in answers
    )
    assert "Ẩn danh" in answers and jobs.code in answers

    plan = texts["programme"]
    assert "3 câu hỏi được nêu trực tiếp" in plan
    assert (
        "“Khi nào các bản được phủ sóng?”" in plan
        and "Nguyên văn: “Bản em chưa có sóng điện thoại.”" in plan
    )
    assert "Nông Văn Dũng (Phường Thục Phán); và 1 người cùng quan tâm" in plan
    assert "Lãnh đạo Sở Khoa học và Công nghệ" in plan and "Lãnh đạo Sở Nội vụ" in plan

    notice = texts["conclusion"]
    assert "Kết luận của Chủ tịch UBND tỉnh Cao Bằng" in notice
    assert "UBND TỈNH CAO BẰNG" in notice  # the office's parent body
    assert "Dự thảo" not in notice  # published
    assert "Phủ sóng toàn bộ các bản trong năm 2026." in notice
    assert "Chủ tịch ghi nhận tinh thần cầu thị" in notice
    assert (
        "Giao Sở Khoa học và Công nghệ: Phủ sóng các bản lõm sóng (hoàn thành trước ngày 31/12/2026)."
        in notice
    )
    assert (
        "II. GIAO NHIỆM VỤ" in notice
        and "Báo cáo kết quả đối thoại" in notice
        and "30/09/2025" in notice
    )

    report = texts["report"]
    figures = dict(zip(report.splitlines()[::1], report.splitlines()[1:], strict=False))
    assert figures["Câu hỏi, ý kiến, kiến nghị"] == "3"
    assert figures["Thanh niên tham gia"] == "4"
    assert figures["Câu hỏi đã có trả lời bằng văn bản"] == "2"
    assert figures["Trả lời đã gửi tới người hỏi"] == "1"
    assert figures["Câu hỏi đối thoại trực tiếp"] == "3"
    assert figures["Nhiệm vụ giao"] == "2"
    assert figures["Nhiệm vụ quá hạn"] == "1"  # due 30/09/2025, today is later
    assert "Thông báo kết luận ban hành ngày 29/08/2025, đúng hạn (07/09/2025)." in report


async def test_the_document_needs_docx_and_the_whole_campaign(
    done: tuple[App, Campaign, list[Question]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run(["export", "--format", "csv", "--document", "report"]) == 2
    assert "--document report" in capsys.readouterr().err
    assert await run(["export", "--format", "docx", "--document", "answers"]) == 0
    written = list((Path.cwd() / "out").glob("tra-loi-cao-bang-2*.docx"))  # host, date
    assert len(written) == 1


def _hand_made_head(language: str, *, campaign_level: str = "province") -> DocumentHead:
    """A document head written by hand: Sở Nội vụ issues, a deputy director signs."""
    issuer = Issuer(
        name="Sở Nội vụ",
        parent="UBND tỉnh Cao Bằng",
        symbol="BC-SNV",
        place="Cao Bằng",
        signer=Signer("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Nguyễn Văn A"),
        recipients=("UBND tỉnh Cao Bằng",),
        archive="CTTN",
    )
    title = "Dialogue 2025" if language == "en" else "Đối thoại 2025"
    when = datetime(2025, 9, 1, tzinfo=UTC)
    return DocumentHead(
        7, title, "UBND tỉnh Cao Bằng", DIALOGUE, when, language, issuer,
        campaign_level=campaign_level,
    )  # fmt: skip


def test_renderer_on_hand_made_data_in_english(tmp_path: Path) -> None:
    head = _hand_made_head("en")
    answered = AnsweredQuestion(
        "K7Q2MA",
        "Jobs",
        "Phường Thục Phán",
        "Lan",
        "Any jobs?",
        3,
        "Yes: the job centre.",
        datetime(2025, 8, 20, tzinfo=UTC),
        "Sở Nội vụ",
        True,
        True,
    )
    document = AnswersDocument(
        head, date(2025, 8, 26), (DepartmentAnswers("Sở Nội vụ", (answered,)),)
    )
    out = write_followup_docx(document, tmp_path / "a.docx", tr=translator("en"))
    text = text_of(out)
    assert (
        "REPORT\nAnswers to young people's questions\nand recommendations at Dialogue 2025" in text
    )
    assert "SỞ NỘI VỤ" in text and "Nguyễn Văn A" in text and "/BC-SNV" in text
    assert "I. Sở Nội vụ (1/1 answered)" in text
    assert "Answer (Sở Nội vụ, 20/08/2025; sent to the askers): Yes: the job centre." in text
    assert "Cao Bằng, 1 September 2025" in text


async def test_exports_carry_department_answer_and_commitment(
    done: tuple[App, Campaign, list[Question]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, (jobs, loans, wifi) = done
    assert await run(["export", "--format", "jsonl"]) == 0
    rows = {r["code"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert rows[jobs.code]["department"] == "Sở Nội vụ"
    assert rows[jobs.code]["answer"] == "Có Trung tâm Dịch vụ việc làm."
    assert rows[jobs.code]["answer_published"] is True and rows[jobs.code]["answered_at"]
    assert rows[loans.code]["answer_published"] is False
    assert rows[wifi.code]["answer"] is None
    assert (
        rows[wifi.code]["commitment"]
        == "Sở Khoa học và Công nghệ: Phủ sóng các bản lõm sóng (hạn 31/12/2026)"
    )
    out = tmp_path / "q.csv"
    assert await run(["export", "--format", "csv", "--out", str(out)]) == 0
    with out.open(encoding="utf-8-sig") as fh:
        header = next(csv.reader(fh))
    # Each column its own title: the department routed to and the body that answered were
    # both "Cơ quan trả lời" (a spreadsheet's filter and a CSV reader kept one of the two).
    assert len(header) == len(set(header)), header
    with out.open(encoding="utf-8-sig") as fh:
        table = {r["Mã câu hỏi"]: r for r in csv.DictReader(fh)}
    assert table[jobs.code]["Cơ quan trả lời"] == "Sở Nội vụ"
    assert table[jobs.code]["Cơ quan đã trả lời"] == "Sở Nội vụ"
    assert table[jobs.code]["Nội dung trả lời"] == "Có Trung tâm Dịch vụ việc làm."
    assert table[jobs.code]["Thời gian trả lời"] == "2025-07-01 09:00"
    assert table[wifi.code]["Nhiệm vụ giao"].startswith("Sở Khoa học và Công nghệ: Phủ sóng")


def test_jsonl_round_trip_keeps_the_answer_fields() -> None:
    from dataclasses import replace

    from bot.documents.exports import question_from_json, question_to_json
    from bot.documents.model import QuestionRow

    row = QuestionRow(
        1,
        "K7Q2MA",
        datetime(2025, 7, 1, tzinfo=UTC),
        "Lan",
        False,
        "w01273",
        "Phường Thục Phán",
        None,
        "Việc làm",
        "N1",
        2,
        "Đã trả lời",
        "telegram",
        "Có việc không?",
        False,
    )
    answered = replace(
        row,
        department="Sở Nội vụ",
        answer="Có.",
        answered_at=datetime(2025, 8, 20, 3, tzinfo=UTC),
        answered_by="Sở Nội vụ",
        answer_published=True,
        commitment="Sở Nội vụ: Mở hội chợ (hạn 30/09/2025)",
    )
    for q in (row, answered):
        assert question_from_json(json.loads(json.dumps(question_to_json(q)))) == q


async def test_the_report_speaks_as_its_issuer(
    done: tuple[App, Campaign, list[Question]], tmp_path: Path
) -> None:
    # The report is issued by the provincial Youth Union's standing committee (head, "TM.
    # BAN THƯỜNG VỤ"): its body must not say the People's Committee is reporting, to itself.
    out = tmp_path / "report.docx"
    assert await run(["export", "--format", "docx", "--document", "report", "--out", str(out)]) == 0
    body = [p.text for p in docx.Document(str(out)).paragraphs]
    intro = next(p for p in body if "báo cáo kết quả tổ chức" in p)
    assert intro.startswith("Ban Thường vụ BCH Đoàn tỉnh Cao Bằng báo cáo kết quả tổ chức"), intro
    assert "Chủ tịch UBND tỉnh Cao Bằng với thanh niên ngày 28/08/2025" in intro, intro


def _task_table(path: Path) -> Any:
    """The last table headed "STT" (the foot, "Nơi nhận" and the signer, is a table too)."""
    return [t for t in docx.Document(str(path)).tables if t.cell(0, 0).text == "STT"][-1]


async def test_the_published_conclusion_is_dated_its_publication_without_task_status(
    done: tuple[App, Campaign, list[Question]], tmp_path: Path
) -> None:
    # Published on 29/08/2025 (within the 10 days); printed later it must still carry its
    # own date, not the day it was printed (past the legal deadline), and the tasks as
    # given then, not how far they have got since (that is the report's table).
    out = tmp_path / "conclusion.docx"
    args = ["export", "--format", "docx", "--document", "conclusion", "--out", str(out)]
    assert await run(args) == 0
    text = text_of(out)
    assert "Cao Bằng, ngày 29 tháng 8 năm 2025" in text, text
    tasks = _task_table(out)
    assert [c.text for c in tasks.rows[0].cells] == [
        "STT",
        "Nội dung nhiệm vụ",
        "Đơn vị thực hiện",
        "Thời hạn",
    ]
    assert "quá hạn" not in text and "đang thực hiện" not in text
    report = tmp_path / "report.docx"
    args = ["export", "--format", "docx", "--document", "report", "--out", str(report)]
    assert await run(args) == 0
    tasks = _task_table(report)
    assert tasks.rows[0].cells[-1].text == "Tình trạng"


async def test_follow_up_tables_fit_their_headers_and_align_figures(
    done: tuple[App, Campaign, list[Question]], tmp_path: Path
) -> None:
    # "STT" in 12 pt bold needs about 1.2 cm with the cell margins: at 1.0 cm it wrapped to
    # "ST / T". In the report's figure tables the labels read left-aligned and the counts
    # centred (the labels were centred, the numbers pushed left).
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    for kind in ("programme", "conclusion", "report"):
        out = tmp_path / f"{kind}.docx"
        assert await run(["export", "--format", "docx", "--document", kind, "--out", str(out)]) == 0
        for table in docx.Document(str(out)).tables:
            if table.cell(0, 0).text == "STT":
                first = table._tbl.tblGrid.gridCol_lst[0].w
                assert first >= Cm(1.19), (kind, first / Cm(1))
    report = docx.Document(str(tmp_path / "report.docx"))
    figures, topics = (t for t in report.tables if t.cell(0, 0).text in ("Nội dung", "Nhóm vấn đề"))
    for table in (figures, topics):
        for row in table.rows[1:]:
            label, *counts = row.cells
            assert label.paragraphs[0].alignment != WD_ALIGN_PARAGRAPH.CENTER, label.text
            for cell in counts:
                assert cell.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER, cell.text


async def test_export_refuses_a_scope_it_would_ignore(
    done: tuple[App, Campaign, list[Question]], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # "--unit X --department Y" wrote the unit's list without a word about the letter asked
    # for; "--document answers --department Y" wrote the whole campaign's compilation.
    out = tmp_path / "x.docx"
    both = ["export", "--format", "docx", "--unit", "w01273", "--department", "Sở Nội vụ"]
    assert await run([*both, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--unit" in err[0] and "--department" in err[0], err
    assert not out.exists()
    answers = ["export", "--format", "docx", "--document", "answers", "--department", "SNV"]
    assert await run([*answers, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--document answers" in err[0] and "--department" in err[0], err
    assert not out.exists()


async def test_a_letter_asking_for_answers_by_a_past_date_is_flagged(
    done: tuple[App, Campaign, list[Question]], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Made after the answers' deadline (26/08/2025), Sở Nội vụ's letter still asks for the
    # answers "trước ngày 26/08/2025": written as asked, but the operator is told.
    _, campaign, _ = done
    out = tmp_path / "cong-van.docx"
    args = ["export", "--format", "docx", "--department", "Sở Khoa học và Công nghệ"]
    assert await run([*args, "--out", str(out)]) == 0
    assert "trước ngày 26/08/2025" in text_of(out)
    err = capsys.readouterr().err
    assert "26/08/2025" in err and f"youthbot campaign edit {campaign.id} --answers-due" in err, err


async def test_the_reports_and_notice_close_with_the_end_mark(
    done: tuple[App, Campaign, list[Question]], tmp_path: Path
) -> None:
    # A report ends "Trên đây là …./." before "Nơi nhận": the answers compilation and the
    # report on the dialogue stopped on their last item or table.
    closings = {
        "answers": "Trên đây là tổng hợp nội dung trả lời ý kiến, kiến nghị của thanh niên",
        "report": "Trên đây là báo cáo kết quả tổ chức Hội nghị đối thoại giữa Chủ tịch "
        "UBND tỉnh Cao Bằng với thanh niên",
        "conclusion": "Trên đây là kết luận của Chủ tịch UBND tỉnh Cao Bằng",
    }
    for kind, start in closings.items():
        out = tmp_path / f"{kind}.docx"
        assert await run(["export", "--format", "docx", "--document", kind, "--out", str(out)]) == 0
        paragraph = [p for p in docx.Document(str(out)).paragraphs if p.text.strip()][-1]
        last = paragraph.text
        assert last.startswith(start) and last.endswith("./."), (kind, last)
        # Set apart from the table or item above it.
        before = paragraph.paragraph_format.space_before
        assert before is not None and before.pt >= 6, (kind, before)


async def test_export_finds_the_department_as_route_and_digest_do(
    done: tuple[App, Campaign, list[Question]], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # "--department SNV" (an alias) or "so noi vu" (no accents) name Sở Nội vụ for route,
    # digest and answers sheet; export answered "no question is routed to “SNV”".
    for typed in ("SNV", "so noi vu"):
        out = tmp_path / f"{typed}.docx"
        args = ["export", "--format", "docx", "--department", typed, "--out", str(out)]
        assert await run(args) == 0, capsys.readouterr().err
        assert "Kính gửi: Các phòng, đơn vị thuộc Sở Nội vụ." in text_of(out)
    capsys.readouterr()
    # A department the province does not have: one line, no document.
    out = tmp_path / "none.docx"
    args = ["export", "--format", "docx", "--department", "Sở Không Có", "--out", str(out)]
    assert await run(args) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1 and not out.exists()


async def test_export_refuses_an_empty_department(
    done: tuple[App, Campaign, list[Question]], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # '--department ""' (a variable left empty in a script) wrote the whole summary instead
    # of a letter.
    out = tmp_path / "x.docx"
    assert await run(["export", "--format", "docx", "--department", " ", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("youthbot export: "), err
    assert not out.exists()


@pytest.mark.parametrize(
    ("level", "language", "expected"),
    [
        ("province", "vi", ("Hạn các sở, ngành gửi trả lời", "Chưa chuyển sở, ngành")),
        ("commune", "vi", ("Hạn các ban, ngành gửi trả lời", "Chưa chuyển ban, ngành")),
        ("commune", "en", ("Answers from the commune's offices", "Not routed to the commune's")),
    ],
)
def test_who_answers_is_named_after_the_dialogues_level(
    tmp_path: Path, level: str, language: str, expected: tuple[str, str]
) -> None:
    """A commune's dialogue is answered by the commune's offices ("ban, ngành"), not by
    a province's departments ("sở, ngành", which its documents said)."""
    head = _hand_made_head(language, campaign_level=level)
    unrouted = AnsweredQuestion(
        "K7Q2MA", "Việc làm", "Phường Thục Phán", "Lan", "Có việc làm không?", 1,
        None, None, None, False, None,
    )  # fmt: skip
    document = AnswersDocument(head, date(2025, 8, 26), (DepartmentAnswers(None, (unrouted,)),))
    text = text_of(write_followup_docx(document, tmp_path / "a.docx", tr=translator(language)))
    for phrase in expected:
        assert phrase in text
    if level == "commune":
        assert "sở, ngành" not in text and "department" not in text


async def test_the_notice_quotes_every_question_it_answers(
    province_app: App, tmp_path: Path
) -> None:
    # An answer extended to other questions ("/ketluan MÃ +MÃ2", "--also") listed them by
    # code only ("câu hỏi 7ATYGC và 27AC8Q, GCUFQN"), and a question reworded for the
    # dialogue only in the new wording: nobody reading the notice could tell what the
    # young people had asked. Withdrawn ones stay out; the askers are never named.
    app = province_app
    store, now = app.store, app.clock.now()
    campaign = await create_campaign(app, title="Hội nghị đối thoại năm 2025", dialogue=DIALOGUE)
    wifi = await question(app, campaign, "a", "Bản em chưa có sóng điện thoại.", name="Lò Văn A")
    also = await question(
        app, campaign, "b", "Xóm em mất sóng 4G cả tuần.", topic="Chuyển đổi số", anonymous=True
    )
    gone = await question(app, campaign, "c", "Câu hỏi đã rút về sóng điện thoại.")
    await programme.propose(store, campaign, now=now)
    await programme.reword(store, campaign, wifi.code, "Khi nào các bản được phủ sóng?", now=now)
    after = datetime(2025, 8, 29, 3, tzinfo=UTC)
    await conclusion.record_answer(
        store,
        campaign,
        wifi.code,
        "Phủ sóng trong năm 2026.",
        also=[also.code, gone.code],
        now=after,
        cross_topic=True,  # "Chuyển đổi số" beside "việc làm": the organiser confirmed
    )
    await store.questions.set_status(gone.id, "withdrawn", now=now)  # withdrawn since
    out = tmp_path / "conclusion.docx"
    args = ["export", "--format", "docx", "--document", "conclusion", "--out", str(out)]
    assert await run(args) == 0
    notice = text_of(out)
    assert "“Khi nào các bản được phủ sóng?”" in notice
    assert "Nguyên văn: “Bản em chưa có sóng điện thoại.”" in notice, notice
    assert f"- {also.code} (Phường Thục Phán): “Xóm em mất sóng 4G cả tuần.”" in notice, notice
    assert "Câu hỏi đã rút" not in notice and "Lò Văn A" not in notice


async def test_the_report_counts_the_live_questions_the_programme_lists(
    done: tuple[App, Campaign, list[Question]], tmp_path: Path
) -> None:
    # A question withdrawn after it was put in the programme leaves the programme (3 → 2)
    # but the report still counted it: "Câu hỏi đối thoại trực tiếp: 3" beside a programme
    # of 2.
    app, _, (jobs, _, _) = done
    await app.store.questions.set_status(jobs.id, "withdrawn", now=app.clock.now())
    texts = {}
    for kind in ("programme", "report"):
        out = tmp_path / f"{kind}.docx"
        assert await run(["export", "--format", "docx", "--document", kind, "--out", str(out)]) == 0
        texts[kind] = text_of(out)
    assert "2 câu hỏi được nêu trực tiếp" in texts["programme"]
    lines = texts["report"].splitlines()
    assert lines[lines.index("Câu hỏi đối thoại trực tiếp") + 1] == "2"
