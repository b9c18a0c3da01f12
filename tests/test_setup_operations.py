"""A provincial IT officer's first set-up (issue 17): the host is the configured province,
past dates are refused, units can be renamed, hidden, removed and merged, names are looked
up with "did you mean", and the unit prompt shows the campaign's own units."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest

from bot.application.app import App
from bot.campaign.setup import create_campaign
from bot.campaign.units import province_units
from bot.cli import main
from bot.clock import VIETNAM_TZ
from handlers import routers
from handlers.engine import Engine, EngineSettings
from handlers.roles import create_invite
from storage.models import Campaign
from tests.talk import Talker

Run = tuple[int, str, str]
_probes = count(1)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


async def acli(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    """``youthbot ...`` in a thread (it runs its own event loop) beside the test's app."""
    status = await asyncio.to_thread(main, list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def ahead(days: int) -> str:
    return f"{date.today() + timedelta(days=days):%d/%m/%Y}"


# -- the host is the configured province ---------------------------------------------------


def test_thai_nguyen_campaign_is_hosted_by_thai_nguyen(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("YOUTHBOT_PROVINCE", "thai_nguyen")
    # Another province loaded first (a demo once polluted databases this way) changes nothing.
    assert cli(capsys, "units", "load", "--province", "cao_bang")[0] == 0
    assert cli(capsys, "units", "load")[0] == 0
    status, out, err = cli(
        capsys,
        "campaign",
        "create",
        "--title",
        "Đối thoại Thái Nguyên",
        "--dialogue-date",
        ahead(90),
    )
    assert status == 0, err
    assert "Cơ quan chủ trì: Thái Nguyên (p19)" in out

    # The host can be changed afterwards, with a suggestion for a mistyped code.
    status, _, err = cli(capsys, "campaign", "edit", "1", "--host", "p4")
    assert status == 2
    assert err.startswith("youthbot campaign: không có đơn vị mã 'p4'; có phải “p04 (Cao Bằng)”")
    status, out, err = cli(capsys, "campaign", "edit", "1", "--host", "p04")
    assert status == 0, err
    assert "Cơ quan chủ trì: Cao Bằng (p04)" in out
    status, _, err = cli(capsys, "campaign", "edit", "1", "--host", "w01273")
    assert status == 2
    assert "cấp tỉnh phải do đơn vị cấp tỉnh chủ trì" in err


def test_configured_province_not_loaded_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, "units", "load")[0] == 0  # Cao Bằng, the default
    monkeypatch.setenv("YOUTHBOT_PROVINCE", "thai_nguyen")
    status, out, err = cli(
        capsys, "campaign", "create", "--title", "Đối thoại", "--dialogue-date", ahead(90)
    )
    assert (status, out) == (2, "")
    assert err == (
        "youthbot campaign: chưa nạp đơn vị của Thái Nguyên (thai_nguyen, theo "
        "YOUTHBOT_PROVINCE); chạy `youthbot units load` trước, hoặc chọn đơn vị chủ trì "
        "bằng --host\n"
    )


# -- dates in the past ----------------------------------------------------------------------


def test_a_2024_campaign_needs_allow_past(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "units", "load")[0] == 0
    create = ["campaign", "create", "--title", "Đối thoại 2024", "--dialogue-date", "28/08/2024"]
    status, out, err = cli(capsys, *create)
    assert (status, out) == (2, "")
    today = f"{datetime.now(VIETNAM_TZ):%d/%m/%Y}"  # the bot's day is Vietnam's
    assert err == (
        f"youthbot campaign: ngày đối thoại 28/08/2024 đã qua (hôm nay {today}); kiểm tra "
        "lại năm, hoặc thêm --allow-past nếu ghi lại một đợt đã diễn ra\n"
    )
    assert cli(capsys, "campaign", "list")[1].startswith("chưa có đợt đối thoại nào")

    # The dialogue ahead but questions closing yesterday: the campaign would take nothing.
    yesterday = ahead(-1)
    status, _, err = cli(
        capsys, *create[:4], "--dialogue-date", ahead(30), "--questions-close", yesterday
    )
    assert status == 2
    assert f"mốc “Hạn nhận câu hỏi của thanh niên” ({yesterday}) đã qua" in err

    status, out, err = cli(capsys, *create, "--allow-past")
    assert status == 0, err
    assert "28/08/2024" in out


def test_editing_a_date_into_the_past_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "units", "load")[0] == 0
    create = ["campaign", "create", "--title", "Đối thoại", "--dialogue-date", ahead(60)]
    assert cli(capsys, *create)[0] == 0
    status, _, err = cli(capsys, "campaign", "edit", "1", "--dialogue-date", "01/09/2025")
    assert status == 2
    assert "ngày đối thoại 01/09/2025 đã qua" in err
    # A date this edit does not move may lie in the past (publishing the plan, typically).
    status, _, err = cli(capsys, "campaign", "edit", "1", "--plan-published", ahead(-3))
    assert status == 0, err
    past = ["--dialogue-date", "01/09/2025", "--plan-published", "01/08/2025", "--allow-past"]
    status, _, err = cli(capsys, "campaign", "edit", "1", *past)
    assert status == 0, err


# -- units: rename, hide, remove, merge -----------------------------------------------------


@pytest.fixture
def engine(province_app: App, campaign: Campaign) -> Engine:
    # No cache: each event sees what the command line just changed.
    settings = EngineSettings(cache_seconds=0.0)
    return Engine(province_app.store, province_app.clock, settings=settings, routers=routers())


async def ask(engine: Engine, user: str, unit_query: str, unit_label: str) -> str:
    """A young person asks a question from the unit they pick; returns its code."""
    t = Talker(engine, user_id=user)
    await t.say("/start")
    await t.press("đồng ý")
    await t.say(unit_query)
    await t.press(unit_label)
    await t.press("Ẩn danh")
    await t.press("Bỏ qua")
    await t.press("việc làm")
    await t.say(f"Tỉnh có hỗ trợ thanh niên {user} tìm việc làm sau khi tốt nghiệp không?")
    await t.press("Gửi")
    assert "Mã câu hỏi" in t.last_text, t.last_text
    return t.last_text.split("Mã câu hỏi: ")[1][:6]


async def offered(engine: Engine, query: str) -> list[str]:
    """The units the picker offers for ``query``."""
    t = Talker(engine, user_id=f"probe-{next(_probes)}")
    await t.say("/start")
    await t.press("đồng ý")
    await t.say(query)
    prompt = t.transcript[-1][1][-1]
    return [b.label for row in prompt.buttons for b in row]


async def test_hide_keeps_questions_but_leaves_the_picker(
    engine: Engine, province_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await ask(engine, "a1", "thuc phan", "Thục Phán")
    assert "Phường Thục Phán" in await offered(engine, "thuc phan")

    status, _, err = await acli(capsys, "units", "remove", "w01273")
    assert status == 1
    assert err == (
        "youthbot units: không xóa w01273 (Phường Thục Phán): đơn vị đang có 1 câu hỏi; "
        "ẩn khỏi danh sách thanh niên chọn bằng `youthbot units hide w01273`, hoặc gộp vào "
        "đơn vị đúng bằng `youthbot units merge w01273 --into MÃ`\n"
    )

    status, out, _ = await acli(capsys, "units", "hide", "w01273")
    assert status == 0
    assert out == (
        "đã ẩn w01273 (Phường Thục Phán) khỏi danh sách thanh niên chọn; 1 câu hỏi đã gửi vẫn "
        "giữ nguyên (hiện lại: `youthbot units unhide w01273`)\n"
    )
    assert "Phường Thục Phán" not in await offered(engine, "thuc phan")
    question = await province_app.store.questions.by_code(code)
    assert question is not None
    unit = await province_app.store.units.get(question.unit_id)
    assert unit is not None and unit.code == "w01273"
    listing = (await acli(capsys, "units", "list", "--hidden"))[1].splitlines()
    assert listing[0].startswith("w01273") and listing[0].endswith("Phường Thục Phán  (đang ẩn)")
    # Reloading the official list keeps it hidden.
    assert (await acli(capsys, "units", "load"))[0] == 0
    assert "Phường Thục Phán" not in await offered(engine, "thuc phan")

    assert (await acli(capsys, "units", "hide", "w01273"))[1].endswith(
        "đã ẩn từ trước; không có gì thay đổi\n"
    )
    status, out, _ = await acli(capsys, "units", "unhide", "w01273")
    assert out == "đã hiện lại w01273 (Phường Thục Phán) trong danh sách thanh niên chọn\n"
    assert "Phường Thục Phán" in await offered(engine, "thuc phan")


async def test_rename_is_what_young_people_find(
    engine: Engine, province_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = await acli(capsys, "units", "rename", "w01501", "Xã Đàm Thủy")
    assert status == 0
    assert out == (
        "đã đổi tên w01501: “Xã Đàm Thuỷ” → “Xã Đàm Thủy”; thanh niên sẽ tìm và thấy tên mới\n"
    )
    assert "Xã Đàm Thủy" in await offered(engine, "dam thuy")
    # The hand-made name survives reloading the official list.
    assert (await acli(capsys, "units", "load"))[0] == 0
    unit = await province_app.store.units.by_code("w01501")
    assert unit is not None and unit.name == "Xã Đàm Thủy"
    assert (await acli(capsys, "units", "rename", "w01501", "  "))[0] == 2


async def test_remove_an_unused_import_and_an_unused_commune(
    province_app: App, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    csv = tmp_path / "truong.csv"
    csv.write_text("code,name,kind\nthpt-x,Trường THPT nhập nhầm,school\n", encoding="utf-8")
    assert (await acli(capsys, "units", "import", str(csv)))[0] == 0
    status, out, _ = await acli(capsys, "units", "remove", "thpt-x")
    assert (status, out) == (0, "đã xóa đơn vị thpt-x (Trường THPT nhập nhầm)\n")
    assert await province_app.store.units.by_code("thpt-x") is None

    status, out, _ = await acli(capsys, "units", "remove", "w01501")
    assert status == 0
    assert out == (
        "đã xóa đơn vị w01501 (Xã Đàm Thuỷ); `youthbot units load` sẽ nạp lại w01501; muốn "
        "bỏ hẳn thì dùng `youthbot units hide w01501`\n"
    )
    status, _, err = await acli(capsys, "units", "remove", "p04")
    assert (status, err) == (
        2,
        "youthbot units: p04 (Cao Bằng) là đơn vị cấp tỉnh: không ẩn, xóa hay gộp được\n",
    )


async def test_merge_moves_questions_people_and_secretaries(
    engine: Engine, province_app: App, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    csv = tmp_path / "truong.csv"
    csv.write_text(
        "code,name,kind\n"
        "thpt-cva,Trường THPT Chu Văn An,school\n"
        "thpt-cva2,Trường Trung học phổ thông Chu Văn An,school\n",
        encoding="utf-8",
    )
    assert (await acli(capsys, "units", "import", str(csv)))[0] == 0
    assert len([u for u in await offered(engine, "chu van an") if "Chu Văn An" in u]) == 2
    code = await ask(engine, "b1", "trung hoc pho thong chu van an", "Trung học phổ thông")
    duplicate = await province_app.store.units.by_code("thpt-cva2")
    assert duplicate is not None
    invite = await create_invite(
        province_app.store, "secretary", now=province_app.clock.now(), unit_id=duplicate.id
    )
    secretary = Talker(engine, user_id="bithu")
    await secretary.say(f"/nhanquyen {invite}")

    status, out, err = await acli(capsys, "units", "merge", "thpt-cva2", "--into", "thpt-cva")
    assert status == 0, err
    assert out == (
        "đã gộp thpt-cva2 (Trường Trung học phổ thông Chu Văn An) vào thpt-cva (Trường THPT "
        "Chu Văn An): đã chuyển 1 câu hỏi, 1 thanh niên đã chọn, 1 vai trò Bí thư Đoàn, 1 mã "
        "mời; đã xóa mã thpt-cva2\n"
    )
    kept = await province_app.store.units.by_code("thpt-cva")
    assert kept is not None
    assert await province_app.store.units.by_code("thpt-cva2") is None
    question = await province_app.store.questions.by_code(code)
    assert question is not None and question.unit_id == kept.id
    roles = await province_app.store.roles.all(include_revoked=False)
    assert [(r.role, r.unit_id) for r in roles] == [("secretary", kept.id)]
    assert [u for u in await offered(engine, "chu van an") if "Chu Văn An" in u] == [
        "Trường THPT Chu Văn An"
    ]
    status, _, err = await acli(capsys, "units", "merge", "thpt-cva", "--into", "thpt-cva")
    assert status == 2 and "không gộp thpt-cva (Trường THPT Chu Văn An) vào chính nó" in err


async def test_merging_an_official_commune_keeps_it_hidden(
    province_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = await acli(capsys, "units", "merge", "w01501", "--into", "w01273")
    assert status == 0
    assert out.endswith(
        "không có gì phải chuyển; w01501 có trong danh mục xã, phường nên được giữ lại ở "
        "trạng thái ẩn\n"
    )
    unit = await province_app.store.units.by_code("w01501")
    assert unit is not None and unit.hidden


# -- did you mean ---------------------------------------------------------------------------


async def test_unknown_codes_and_names_get_suggestions(
    campaign: Campaign, province_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = await acli(capsys, "export", "--unit", "w1273")
    assert status == 2
    assert err.startswith("youthbot export: không có đơn vị mã 'w1273'; có phải “w01273 (Phường")
    # A name typed where a code is expected finds the code.
    status, _, err = await acli(capsys, "units", "hide", "thuc phan")
    assert status == 2
    assert "có phải “w01273 (Phường Thục Phán)”" in err
    assert (await acli(capsys, "units", "hide", "x99999"))[2] == (
        "youthbot units: không có đơn vị mã 'x99999'; xem `youthbot units list`\n"
    )

    status, _, err = await acli(capsys, "campaign", "show", "7")
    assert (status, err) == (
        2,
        "youthbot campaign: không có đợt đối thoại số 7; có phải “1 (Đối thoại 2025)”? (xem "
        "`youthbot campaign list`)\n",
    )
    # A campaign by (part of) its title, accents or not.
    status, out, _ = await acli(capsys, "campaign", "show", "doi thoai 2025")
    assert status == 0 and out.startswith("Đợt đối thoại: Đối thoại 2025")
    status, _, err = await acli(capsys, "export", "--campaign", "Đối thoai 2052")
    assert status == 2 and "có phải “1 (Đối thoại 2025)”?" in err

    # Topic groups with or without diacritics; a near miss is suggested.
    route = ["route", "--department", "Sở Lao động"]
    status, out, _ = await acli(capsys, *route, "--topic", "nghe nghiep, viec lam")
    assert status == 0 and "'Nghề nghiệp, việc làm'" in out
    status, _, err = await acli(capsys, *route, "--topic", "viec lam cho sinh vien")
    assert status == 2
    assert "Có phải: “Nghề nghiệp, việc làm”?" in err

    # A department from the province's registry: aliases and pre-2025 names, accents or not;
    # a name that is none of them is refused with the closest ones, never created.
    status, _, err = await acli(capsys, "digest", "--department", "so lao dong thuong binh")
    assert status == 0, err
    status, _, err = await acli(capsys, "digest", "--department", "Sở Du hành vũ trụ")
    assert status == 2
    assert err.startswith("youthbot digest: Không có sở, ngành “Sở Du hành vũ trụ”")


# -- the unit prompt's examples come from the campaign's own units --------------------------


async def test_unit_prompt_examples_are_the_campaigns_own(app: App) -> None:
    # Both provinces in one database: the prompt names only the host province's units.
    for codename in ("cao_bang", "thai_nguyen"):
        await app.store.units.upsert_many(province_units(codename), now=app.clock.now())
    await create_campaign(
        app, title="Đối thoại Thái Nguyên", dialogue=date(2025, 8, 28), host_code="p19"
    )
    engine = Engine(app.store, app.clock, settings=EngineSettings(), routers=routers())
    t = Talker(engine)
    await t.say("/start")
    await t.press("đồng ý")
    prompt = t.last_text
    assert "Thục Phán" not in prompt and "Đàm Thủy" not in prompt
    examples = prompt.split("(ví dụ: ")[1].rstrip(").").split(", ")
    thai_nguyen = {u.name for u in province_units("thai_nguyen")}
    assert len(examples) == 2
    assert all(any(name.endswith(example) for name in thai_nguyen) for example in examples)


def test_a_commune_host_makes_a_commune_dialogue_without_level(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The README's `--host CODE` alone, for a commune's own dialogue: the level follows
    the host (it was refused: "đợt đối thoại cấp tỉnh phải do đơn vị cấp tỉnh chủ trì");
    a level that contradicts the host is still refused."""
    assert cli(capsys, "units", "load")[0] == 0
    create = ["campaign", "create", "--title", "Đối thoại xã", "--dialogue-date", ahead(90)]
    status, out, err = cli(capsys, *create, "--host", "w01273")
    assert status == 0, err
    assert "Cơ quan chủ trì: Phường Thục Phán (w01273)" in out
    # A commune dialogue: the province cannot be made its host afterwards.
    status, _, err = cli(capsys, "campaign", "edit", "1", "--host", "p04")
    assert status == 2
    assert "cấp xã phải do một xã, phường hoặc đặc khu chủ trì" in err
    status, _, err = cli(capsys, *create, "--host", "w01273", "--level", "province")
    assert status == 2
    assert "cấp tỉnh phải do đơn vị cấp tỉnh chủ trì" in err
    status, out, err = cli(capsys, *create)
    assert status == 0, err
    assert "Cơ quan chủ trì: Cao Bằng (p04)" in out
