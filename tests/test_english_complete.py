"""English is complete, never a fallback mix: an English reader sees no Vietnamese
sentence or default name where an English one exists, and counts agree ("1 young person",
"2 young people") through plural messages, while Vietnamese (no plural) reads as before."""

from __future__ import annotations

import ast
import asyncio
import io
import re
from pathlib import Path

import openpyxl
import pytest
from babel.messages import pofile

from bot.application.app import App
from bot.application.config import Settings
from bot.application.wiring import build_engine
from bot.cli import main
from bot.commands.demo import demo_settings
from bot.demo.script import run_demo
from bot.documents.followup_build import build_answers, build_report
from handlers.answers import save_answer
from handlers.engine import Engine
from locales import LOCALES_DIR, translator
from storage.models import Campaign
from tests.followup import official, question
from tests.talk import Talker

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def engine(province_app: App, campaign: Campaign) -> Engine:
    return build_engine(province_app)


async def test_the_report_in_english_names_the_topic_groups_in_english(
    province_app: App, campaign: Campaign, engine: Engine
) -> None:
    await question(province_app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    organiser = await official(province_app, engine, "organiser", "org")
    await organiser.say("/baocao")
    assert "Nghề nghiệp, việc làm" in organiser.last_text
    await organiser.say("/ngonngu en")
    replies = await organiser.say("/report")
    text = organiser.last_text
    assert "Careers and jobs" in text, text
    assert "Nghề nghiệp" not in text
    sheets = [a for r in replies for a in r.attachments if str(a.path).endswith(".xlsx")]
    assert sheets
    book = openpyxl.load_workbook(sheets[0].path, read_only=True)
    cells = {
        str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row
    }
    assert "Careers and jobs" in cells
    assert "Nghề nghiệp, việc làm" not in cells


async def test_the_demo_in_english_names_topic_groups_and_typing_in_english(
    tmp_path: Path,
) -> None:
    """`YOUTHBOT_LANGUAGE=en youthbot demo` printed 'Hoàng Văn Nam (…, gõ “Nung Tri Cao”)'
    and '3 × Nghề nghiệp, việc làm'."""
    settings = demo_settings(Settings(env_file=None), tmp_path / "demo.db")
    settings.core.out_dir = tmp_path / "out"
    settings.core.language = "en"
    out = io.StringIO()
    async with await App.open(settings) as app:
        await run_demo(app, out)
    text = out.getvalue()
    assert "typed “thuc phan”" in text and ", gõ “" not in text
    assert "3 × Careers and jobs" in text and "× Nghề nghiệp" not in text
    assert "1 × Digital transformation" in text


# tr("key"), ctx.tr("key"), tr.t("key"), _text(lang, "key"): a plain message.
PLAIN_USE = re.compile(
    r"""(?:\btr|\.tr|\.t|_text)\(\s*(?:[\w.]+,\s*)?["']([a-z_]+(?:\.[a-z_]+)+)["']"""
)
PLURAL_USE = re.compile(r"""\.n\(\s*["']([a-z_]+(?:\.[a-z_]+)+)["']""")


def test_plural_messages_are_asked_for_with_their_count() -> None:
    """A plural message asked for with tr("key") printed its key ("demo.report") instead
    of the sentence, and tr.n on a plain message the same: each is read the one way
    (Message("key", n=…) and a LocalizedError with ``n`` are plural)."""
    plural = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for path in (LOCALES_DIR / "en").glob("*.po")
        for m in pofile.read_po(io.BytesIO(path.read_bytes()))
        if isinstance(m.id, tuple)
    }
    wrong = []
    for folder in ("bot", "handlers", "storage"):
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text("utf-8")
            wrong += [f"{path.name}: tr({k!r})" for k in PLAIN_USE.findall(source) if k in plural]
            wrong += [
                f"{path.name}: n({k!r})" for k in PLURAL_USE.findall(source) if k not in plural
            ]
            for call in ast.walk(ast.parse(source)):
                if not (isinstance(call, ast.Call) and call.args):
                    continue
                name = ast.unparse(call.func)
                key = call.args[0]
                if not (name.endswith(("Message", "Error")) and isinstance(key, ast.Constant)):
                    continue
                counted = any(k.arg == "n" for k in call.keywords)
                if isinstance(key.value, str) and (key.value in plural) != counted:
                    wrong.append(f"{path.name}: {name}({key.value!r})")
    assert not wrong, wrong


async def test_linking_from_a_third_app_names_the_other_apps_in_plain_english(
    engine: Engine,
) -> None:
    """From the terminal (neither Zalo nor Telegram) /link read 'joins this account with
    your your other app (Zalo or Telegram) account' and 'On your other app (…)'."""
    person = Talker(engine, user_id="an", language="en")
    await person.say("/ngonngu en")
    await person.say("/link")
    text = person.last_text
    assert "with your Zalo or Telegram account" in text, text
    assert "your your" not in text
    await person.press("Yes, link them")
    assert "On Zalo or Telegram, send the bot: /link" in person.last_text, person.last_text


async def test_the_chair_is_the_chair_of_the_peoples_committee(
    province_app: App, campaign: Campaign, engine: Engine
) -> None:
    """'Answered by: Chair of People's Committee of … province' lacked its article (also in
    the conclusion notice, the letters to departments and the follow-up documents)."""
    await question(province_app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    organiser = await official(province_app, engine, "organiser", "org")
    await organiser.say("/ngonngu en")
    await organiser.say("/programme")
    assert "Answered by: Chair of the People's Committee of" in organiser.last_text
    en = translator("en")
    for key in ("conclusion.chair", "programme.answerer.chair"):
        assert en(key, host="People's Committee of Cao Bằng province").startswith(
            "Chair of the People's Committee"
        )
    intro = "followup.conclusion.intro"
    one = en.n(intro, 1, date="1/1", host="H", campaign="C", count="1")
    assert "1 question or recommendation of young people was answered" in one
    many = en.n(intro, 3, date="1/1", host="H", campaign="C", count="3")
    assert "3 questions and recommendations of young people were answered" in many


@pytest.mark.usefixtures("english_cli")
async def test_the_command_line_in_english_names_topic_groups_in_english(
    province_app: App, campaign: Campaign, capsys: pytest.CaptureFixture[str]
) -> None:
    """`youthbot programme show` and `youthbot clusters show CODE` printed 'Nghề nghiệp,
    việc làm' in English, where chat says 'Careers and jobs'."""
    asked = await question(province_app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    for argv in (["programme", "show"], ["clusters", "show", asked.code]):
        assert await asyncio.to_thread(main, argv) == 0
        shown = capsys.readouterr().out
        assert "Careers and jobs" in shown, shown
        assert "Nghề nghiệp" not in shown


async def test_the_report_document_in_english_counts_each_topic_groups_answers(
    province_app: App, campaign: Campaign
) -> None:
    """The results report's figures per topic group, in English: the group named in
    English, its answered questions counted (a name mismatch would count none), and the
    answers compilation names the group in English too."""
    store, now = province_app.store, province_app.clock.now()
    asked = await question(province_app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    await save_answer(store, asked, "Có, từ tháng 9.", now=now, by="Sở Nội vụ", source="test")
    figures = {}
    for language in ("vi", "en"):
        report = await build_report(store, campaign, language=language, today=now.date(), now=now)
        figures[language] = [(f.topic, f.questions, f.answered) for f in report.topics]
    assert figures["vi"] == [("Nghề nghiệp, việc làm", 1, 1)]
    assert figures["en"] == [("Careers and jobs", 1, 1)]
    answers = await build_answers(store, campaign, language="en", now=now)
    topics = {q.topic for s in answers.sections for q in s.questions}
    assert topics == {"Careers and jobs"}, topics


@pytest.mark.usefixtures("english_cli")
async def test_youthbot_cluster_reads_the_english_export(
    province_app: App, campaign: Campaign, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`youthbot cluster` read the Vietnamese export but refused the English one ('no header
    with a question column'): its headers are 'Question or recommendation', 'Topic group'."""
    for user, text in (
        ("lan", "Xã có lớp tiếng Trung miễn phí không?"),
        ("an", "Có lớp tin học không?"),
    ):
        await question(province_app, campaign, user, text)
    for suffix in ("csv", "xlsx"):
        exported = tmp_path / f"questions.{suffix}"
        argv = ["export", "--format", suffix, "--out", str(exported)]
        assert await asyncio.to_thread(main, argv) == 0
        capsys.readouterr()
        assert await asyncio.to_thread(main, ["cluster", str(exported)]) == 0
        out = capsys.readouterr()
        assert len(out.out.splitlines()) == 2, out


@pytest.mark.usefixtures("english_cli")
async def test_the_answer_sheet_in_english_names_topic_groups_in_english(
    province_app: App, campaign: Campaign, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A department's answer sheet with English headers listed 'Nghề nghiệp, việc làm' in its
    'Topic group' column; it still imports."""
    asked = await question(province_app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    sheet = tmp_path / "sheet.xlsx"
    for argv in (
        ["route", "--topic", "viec lam", "--department", "SNV"],
        ["answers", "sheet", "--department", "SNV", "--out", str(sheet)],
    ):
        assert await asyncio.to_thread(main, argv) == 0
    book = openpyxl.load_workbook(sheet)
    rows = [r for r in book.worksheets[0].iter_rows(values_only=True) if asked.code in r]
    assert rows and "Careers and jobs" in rows[0], rows
    assert "Nghề nghiệp, việc làm" not in rows[0]
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["answers", "import", str(sheet)]) == 0
    assert "recorded 0 answers (drafts); 0 rows unchanged, 1 row without" in capsys.readouterr().out


async def test_deleting_ones_data_counts_no_withdrawn_question_as_staying(
    province_app: App, campaign: Campaign, engine: Engine
) -> None:
    """/deletedata after withdrawing one's only question said 'The 1 question you sent stays
    so the dialogue can answer it'."""
    asked = await question(province_app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    person = Talker(engine, user_id="lan")
    await person.say("/ngonngu en")
    await person.say("/deletedata")
    assert "The 1 question you sent stays" in person.last_text, person.last_text
    await person.say("/cancel")
    await province_app.store.questions.set_status(
        asked.id, "withdrawn", now=province_app.clock.now()
    )
    await person.say("/deletedata")
    assert "stays" not in person.last_text, person.last_text
    assert "delete your data (name, unit, group)?" in person.last_text


async def test_joining_an_answered_question_promises_no_later_answer(
    province_app: App, campaign: Campaign
) -> None:
    """Joining a question answered already said 'We'll tell you when it is answered' right
    above the answer itself ('Khi có trả lời, mình sẽ báo bạn.')."""
    from handlers.answers import publish
    from tests.test_clustering_trust import JOBS, JOBS_AGAIN, ask, send
    from tests.test_clustering_trust import question as stored

    engine = build_engine(province_app)
    asked = await stored(province_app, await send(await ask(engine, "a", JOBS)))
    now = province_app.clock.now()
    answer = "Tỉnh hỗ trợ qua Trung tâm Dịch vụ việc làm, xem tại sàn việc làm hằng tháng."
    assert await province_app.store.questions.save_answer(asked.id, answer, now=now, by="SNV")
    await publish(province_app.store, [await stored(province_app, asked.code)], now=now)
    t = await ask(engine, "b", JOBS_AGAIN)
    await t.press("Tôi cũng muốn hỏi câu 1")
    assert answer in t.last_text
    assert "Câu này đã có trả lời" in t.last_text
    assert "Khi có trả lời, mình sẽ báo bạn" not in t.last_text


@pytest.mark.usefixtures("english_cli")
async def test_an_english_documents_recipients_are_not_half_vietnamese(
    province_app: App, campaign: Campaign, tmp_path: Path
) -> None:
    """The results report in English listed 'People's Committee of Cao Bằng province (để báo
    cáo)' among its recipients (the conclusion notice 'Chủ tịch, các Phó Chủ tịch People's
    Committee of …'): the Vietnamese administrative lines got the English host."""
    import docx

    await question(province_app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    out = tmp_path / "report.docx"
    argv = ["export", "--format", "docx", "--document", "report", "--out", str(out)]
    assert await asyncio.to_thread(main, argv) == 0
    document = docx.Document(str(out))
    text = "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    assert "UBND tỉnh Cao Bằng (để báo cáo)" in text, text
    assert "People's Committee of Cao Bằng province (để báo cáo)" not in text


@pytest.mark.usefixtures("english_cli")
async def test_merging_across_topic_groups_names_them_in_english(
    province_app: App,
    campaign: Campaign,
    engine: Engine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """'/merge' across topic groups asked 'belong to different topic groups (Nghề nghiệp,
    việc làm; An toàn thực phẩm trường học)' in English, in chat and on the command line."""
    jobs = await question(province_app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    food = await question(
        province_app, campaign, "an", "Bếp ăn trường em có an toàn không?", topic="thực phẩm"
    )
    organiser = await official(province_app, engine, "organiser", "org")
    await organiser.say("/ngonngu en")
    await organiser.say(f"/merge {jobs.code} {food.code}")
    assert "Careers and jobs; Food safety in schools" in organiser.last_text, organiser.last_text
    assert await asyncio.to_thread(main, ["clusters", "merge", jobs.code, food.code]) == 2
    assert "Careers and jobs; Food safety in schools" in capsys.readouterr().err


async def test_an_official_picking_a_broadcast_unit_is_not_asked_for_their_own(
    province_app: App, campaign: Campaign, engine: Engine
) -> None:
    """An organiser sending an announcement to one unit was asked 'Pick your unit' ('Bạn
    chọn đúng đơn vị của mình nhé'), as if naming where they live."""
    organiser = await official(province_app, engine, "organiser", "org")
    await organiser.say("/thongbao")
    await organiser.say("2")
    await organiser.say("thuc phan")
    assert "Đồng chí chọn đơn vị" in organiser.last_text, organiser.last_text
    await organiser.say("/huy")
    await organiser.say("/ngonngu en")
    await organiser.say("/broadcast")
    await organiser.say("2")
    await organiser.say("thuc phan")
    assert "Please pick the unit" in organiser.last_text, organiser.last_text
    assert "your unit" not in organiser.last_text
    await organiser.say("zzqx")
    assert "No unit like" in organiser.last_text, organiser.last_text


@pytest.mark.usefixtures("english_cli")
async def test_publishing_an_unanswered_question_on_the_command_line_names_the_command(
    province_app: App, campaign: Campaign, capsys: pytest.CaptureFixture[str]
) -> None:
    """`youthbot answers publish CODE` of a question with no answer said 'Write one with:
    /answer CODE answer text', a chat command, on the command line."""
    asked = await question(province_app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    assert await asyncio.to_thread(main, ["answers", "publish", asked.code]) == 2
    err = capsys.readouterr().err
    assert f"youthbot answer {asked.code} --text" in err, err
    assert "/answer" not in err


@pytest.mark.usefixtures("english_cli")
async def test_a_topic_group_is_routed_by_the_name_the_english_digest_gives_it(
    province_app: App, campaign: Campaign, capsys: pytest.CaptureFixture[str]
) -> None:
    """An operator reading 'Careers and jobs' in every English digest typed it for
    `youthbot route --topic` and got 'No topic group “Careers and jobs”'."""
    await question(province_app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    argv = ["route", "--topic", "Careers and jobs", "--department", "SNV"]
    assert await asyncio.to_thread(main, argv) == 0
    assert "topic 'Careers and jobs' routed to Sở Nội vụ (1 question" in capsys.readouterr().out


async def test_an_english_reply_to_an_answer_is_offered_as_a_comment(
    province_app: App, campaign: Campaign, engine: Engine
) -> None:
    """'Anything unclear in this answer? Just write back to me.' In English, 'I'm not
    satisfied, it is still unclear' went into a new question (only 'answer' and 'reply'
    were heard; Vietnamese has 'chưa hài lòng', 'chưa rõ', 'không đồng ý với' …)."""
    asked = await question(province_app, campaign, "lan", "Xã có lớp tiếng Trung miễn phí không?")
    await save_answer(
        province_app.store, asked, "Có.", now=province_app.clock.now(), by="SNV", source="test"
    )
    fresh = await province_app.store.questions.get(asked.id)
    assert fresh is not None
    from handlers.answers import publish

    await publish(province_app.store, [fresh], now=province_app.clock.now())
    lan = Talker(engine, user_id="lan")
    for said in ("/start", "đồng ý", "/huy", "/ngonngu en"):  # consent, as when she asked
        await lan.say(said)
    await lan.say("I'm not satisfied, it is still unclear where the classes are held")
    assert asked.code in lan.last_text, lan.last_text
    assert "Which topic" not in lan.last_text
