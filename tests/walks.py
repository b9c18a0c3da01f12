"""Scripted walks through the whole question flow on Telegram and on Zalo, recorded as
readable conversation logs.

Each walk talks to the real channel adapter over real HTTP: python-telegram-bot against the
fake Bot API, our Zalo client against the fake Zalo Bot API, both on 127.0.0.1, with the
real engine and a real SQLite file. Young people type the way they do on a phone ("Đồng ý
ạ", "gửi luôn nhé", a sticker, a long paste the app splits in two, a flood), change
language midway, press old buttons twice, use commands with codes, and delete their data.

``python -m tests.walks`` writes ``docs/conversations/telegram.md`` and ``zalo.md``;
``tests/test_conversation_walks.py`` runs the same walks and checks that neither fake
platform answered an error and that what was stored is right.
"""

from __future__ import annotations

import asyncio
import html
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.application.app import App
from bot.application.config import Settings
from bot.application.wiring import build_engine
from bot.campaign.setup import create_campaign
from bot.campaign.units import province_units
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel, ZaloOptions
from bot.channels.zalo_client import RetryPolicy, ZaloClient
from bot.clock import FakeClock
from handlers.roles import create_invite
from tests.fakes.telegram_api import FakeTelegramAPI, RecordedCall
from tests.fakes.zalo_api import FakeZaloApi, make_event, make_text_event
from tests.test_telegram_support import TOKEN, latest_prompt, options, settle

CAMPAIGN_TITLE = "Đối thoại giữa Chủ tịch UBND tỉnh với thanh niên năm 2025"
QUESTION = (
    "Em muốn hỏi tỉnh có chính sách gì hỗ trợ thanh niên dân tộc thiểu số tìm việc làm "
    "sau khi tốt nghiệp không ạ?"
)
ADDITION = "Em bổ sung thêm: ở xã em nhiều bạn học xong phải đi làm xa, không có việc ở quê."
PHOTO_QUESTION = (
    "Đường vào điểm trường bản Nà Mạ sạt lở từ tháng 7, bao giờ tỉnh sửa để các em đi học?"
)
# A long paste: Telegram's apps send it as 4,096 characters, then the rest.
LONG_QUESTION = (
    "Em xin kiến nghị về nước sạch cho các xóm vùng cao của xã em. " * 72
).strip() + " Em cảm ơn ạ."
SHORT_AGAIN = "Em kiến nghị tỉnh đầu tư nước sạch cho các xóm vùng cao của xã em ạ."
CONTACT_QUESTION = (
    "Phường mình có mở lớp dạy nghề sửa xe máy miễn phí cho thanh niên không ạ? "
    "Có gì anh chị liên hệ em qua số 0912 345 678 nhé."
)
#: Words that ask a person to tap: a Zalo user has nothing to tap.
TAP_WORDS = ("bấm", "nhấn", "chạm", "tap ", "press")
#: The date the fake clock shows (09:00 in Vietnam), a month before the deadlines.
NOW = datetime(2025, 7, 1, 2, 0, tzinfo=UTC)


@dataclass
class Log:
    """A conversation log in Markdown: scenes of who said what."""

    title: str
    intro: str
    lines: list[str] = field(default_factory=list)

    def scene(self, title: str, note: str = "") -> None:
        self._close()
        self.lines += ["", f"## {title}", ""]
        if note:
            self.lines += [note, ""]
        self.lines.append("```text")
        self._open = True

    def person(self, who: str, what: str) -> None:
        self.lines.append(_indent(f"👤 {who}: ", what))

    def bot(self, what: str) -> None:
        self.lines.append(_indent("🤖 ", what))

    def _close(self) -> None:
        if getattr(self, "_open", False):
            self.lines.append("```")
            self._open = False

    def markdown(self) -> str:
        self._close()
        return "\n".join([f"# {self.title}", "", self.intro, *self.lines]) + "\n"


def _indent(head: str, text: str) -> str:
    pad = " " * len(head)
    first, *rest = text.split("\n")
    return "\n".join([head + first, *(pad + line if line else "" for line in rest)])


def _said(text: str) -> str:
    """What a person typed, shortened for the log when it is a long paste."""
    if len(text) <= 300:
        return text
    return f"({len(text):,} ký tự) “{text[:80]}…{text[-40:]}”".replace(",", ".")


# --------------------------------------------------------------------------- Telegram


class TelegramWalk:
    """People on Telegram; every action waits until the bot handled it, then logs."""

    def __init__(self, api: FakeTelegramAPI, channel: TelegramChannel, log: Log) -> None:
        self.api = api
        self.channel = channel
        self.log = log

    async def _do(self, user: int, who: str, what: str, action: Callable[[], object]) -> str:
        start = len(self.api.calls)
        self.log.person(who, what)
        action()
        await settle(self.api, self.channel)
        return self._record(user, self.api.calls[start:])

    def _record(self, user: int, calls: list[RecordedCall]) -> str:
        texts: list[str] = []
        for call in calls:
            if not call.ok or call.response is None:
                continue
            result = call.response.get("result")
            chat = result.get("chat", {}).get("id") if isinstance(result, dict) else None
            if chat != user:
                continue
            if call.method in ("sendMessage", "editMessageText"):
                text = html.unescape(str(call.params.get("text")))
                texts.append(text)
                shown = text + _keyboard(call.params.get("reply_markup"))
                if call.method == "editMessageText":
                    shown = "(sửa tin nhắn có nút vừa bấm)\n" + shown
                self.log.bot(shown)
            elif call.method == "editMessageReplyMarkup":
                self.log.bot("(bỏ các nút của tin nhắn cũ)")
        return "\n".join(texts)

    async def say(self, user: int, who: str, text: str, **kw: Any) -> str:
        return await self._do(
            user, who, _said(text), lambda: self.api.push_message(user, text, **kw)
        )

    async def press(self, user: int, who: str, label: str) -> str:
        prompt = latest_prompt(self.api, user)
        data = prompt.data(label)
        return await self._do(
            user,
            who,
            f"[bấm: {label}]",
            lambda: self.api.push_callback(user, data, message_id=prompt.message_id),
        )

    def prompt(self, user: int) -> tuple[int, list[list[tuple[str, str]]]]:
        """The newest prompt with buttons (to press it again later)."""
        prompt = latest_prompt(self.api, user)
        return prompt.message_id, prompt.buttons

    async def press_old(
        self, user: int, who: str, old: tuple[int, list[list[tuple[str, str]]]], label: str
    ) -> str:
        message_id, rows = old
        data = next(d for row in rows for text, d in row if label.lower() in text.lower())
        return await self._do(
            user,
            who,
            f"[bấm nút cũ: {label}]",
            lambda: self.api.push_callback(user, data, message_id=message_id),
        )

    async def double_tap(self, user: int, who: str, label: str) -> str:
        prompt = latest_prompt(self.api, user)
        data = prompt.data(label)

        def twice() -> None:
            self.api.push_callback(user, data, message_id=prompt.message_id)
            self.api.push_callback(user, data, message_id=prompt.message_id)

        return await self._do(user, who, f"[bấm hai lần liền: {label}]", twice)

    async def sticker(self, user: int, who: str) -> str:
        return await self._do(user, who, "(nhãn dán 👍)", lambda: self.api.push_sticker(user))

    async def photo(self, user: int, who: str, caption: str) -> str:
        return await self._do(
            user,
            who,
            f"(ảnh, chú thích: “{caption}”)",
            lambda: self.api.push_photo(user, caption=caption),
        )

    async def split_paste(self, user: int, who: str, text: str) -> str:
        """A paste longer than 4,096 characters: the app sends it as two messages."""
        first, rest = text[:4096], text[4096:]

        def both() -> None:
            self.api.push_message(user, first)
            self.api.push_message(user, rest)

        what = f"(dán một đoạn {len(text):,} ký tự; ứng dụng gửi thành 2 tin: 4.096 + "
        what = what.replace(",", ".") + f"{len(rest)} ký tự)"
        return await self._do(user, who, what, both)

    async def flood(self, user: int, who: str, text: str, times: int) -> str:
        def many() -> None:
            for _ in range(times):
                self.api.push_message(user, text)

        return await self._do(user, who, f"(gửi “{text}” {times} lần liền)", many)


def _keyboard(markup: object) -> str:
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not rows:
        return ""
    return "\n" + "\n".join(" ".join(f"[{b['text']}]" for b in row) for row in rows)


TELEGRAM_INTRO = """\
A walk through the whole flow on Telegram, recorded by `python -m tests.walks` (the same
walk runs in `tests/test_conversation_walks.py`): python-telegram-bot's real HTTP calls
against the fake Bot API on 127.0.0.1, the real engine, a real SQLite file, a fake clock
on 1 July 2025. 👤 is what the person did, 🤖 what the bot sent (buttons in brackets; an
edit of the pressed message is marked). No call in this walk got an error answer from the
fake Bot API (it answers like Telegram: 400 "message is not modified" and the like)."""


async def walk_telegram(app: App, api: FakeTelegramAPI) -> Log:
    """The Telegram walk; ``app``'s Telegram settings point at ``api``."""
    log = Log("Một cuộc trò chuyện trên Telegram", TELEGRAM_INTRO)
    channel = TelegramChannel(app, build_engine(app), options=options())
    await channel.start()
    try:
        await _telegram_scenes(app, TelegramWalk(api, channel, log), log)
    finally:
        await channel.stop()
    return log


async def _telegram_scenes(app: App, t: TelegramWalk, log: Log) -> None:
    lan, john, minh, hoa = 1001, 1002, 1003, 1004
    log.scene(
        "Lan gõ thay vì bấm (Telegram của Lan để tiếng Anh)",
        "Telegram has no Vietnamese interface, so Lan's app says `language_code=en`: the "
        "bot still speaks Vietnamese and offers English once.",
    )
    await t.say(lan, "Lan", "/start", language_code="en")
    await t.say(lan, "Lan", "Đồng ý ạ", language_code="en")
    await t.sticker(lan, "Lan")
    await t.say(lan, "Lan", "thuc phan", language_code="en")
    await t.press(lan, "Lan", "Phường Thục Phán")
    await t.say(lan, "Lan", "nông thị lan", language_code="en")
    await t.press(lan, "Lan", "Dân tộc thiểu số")
    await t.press(lan, "Lan", "Nghề nghiệp, việc làm")
    await t.say(lan, "Lan", QUESTION, language_code="en")
    await t.say(lan, "Lan", ADDITION, language_code="en")
    await t.press(lan, "Lan", "Thêm vào câu hỏi")
    await t.say(lan, "Lan", "gửi luôn nhé", language_code="en")
    await t.say(lan, "Lan", "/cauhoi", language_code="en")

    log.scene(
        "John đổi sang tiếng Anh giữa chừng",
        "The pending step comes back in English with new buttons; the old Vietnamese "
        "buttons are stale.",
    )
    await t.say(john, "John", "/start", language_code="en")
    await t.press(john, "John", "Mình đồng ý")
    await t.say(john, "John", "dam thuy", language_code="en")
    old = t.prompt(john)
    await t.say(john, "John", "/ngonngu", language_code="en")
    await t.press(john, "John", "English")
    await t.press_old(john, "John", old, "Xã Đàm Thuỷ")
    await t.press(john, "John", "Xã Đàm Thuỷ")
    await t.press(john, "John", "Anonymous")
    await t.press(john, "John", "Skip")
    await t.press(john, "John", "New countryside")
    await t.photo(john, "John", PHOTO_QUESTION)
    await t.say(john, "John", "ok", language_code="en")

    log.scene(
        "Lan dán một đoạn dài",
        "The app splits the paste; the two parts are read as one message and answered once.",
    )
    await t.say(lan, "Lan", "/hoi", language_code="en")
    await t.press(lan, "Lan", "Chuyển đổi số")
    await t.split_paste(lan, "Lan", LONG_QUESTION)
    await t.say(lan, "Lan", SHORT_AGAIN, language_code="en")
    await t.press(lan, "Lan", "Gửi")

    log.scene("Lan dùng lệnh kèm mã câu hỏi")
    mine = await app.store.questions.of_person(await _person_id(app, "telegram", lan))
    johns = await app.store.questions.of_person(await _person_id(app, "telegram", john))
    await t.say(lan, "Lan", f"/sua {mine[-1].code}", language_code="en")
    await t.say(
        lan,
        "Lan",
        "Em muốn hỏi tỉnh có hỗ trợ thanh niên dân tộc thiểu số học nghề rồi tìm việc "
        "làm ở quê không ạ?",
        language_code="en",
    )
    await t.say(lan, "Lan", f"/rut {johns[0].code}", language_code="en")
    await t.say(lan, "Lan", "/sua ZZZZZZ", language_code="en")

    log.scene("Bấm hai lần liền, bấm nút cũ")
    await t.say(lan, "Lan", f"/rut {mine[0].code}", language_code="en")
    old = t.prompt(lan)
    await t.double_tap(lan, "Lan", "Rút câu này")
    await t.press_old(lan, "Lan", old, "Giữ lại")

    log.scene(
        "Lan để lại số điện thoại trong câu hỏi",
        "The question reaches officials and printed summaries: the preview points the "
        "number out and offers to take it out; Lan's choice.",
    )
    await t.say(lan, "Lan", "/hoi", language_code="en")
    await t.press(lan, "Lan", "Nghề nghiệp, việc làm")
    await t.say(lan, "Lan", CONTACT_QUESTION, language_code="en")
    await t.press(lan, "Lan", "Bỏ số liên lạc")
    await t.press(lan, "Lan", "Gửi")
    lans = await app.store.questions.of_person(await _person_id(app, "telegram", lan))
    sent = max(lans, key=lambda question: question.id)
    assert sent.text == CONTACT_QUESTION.split(" Có gì", maxsplit=1)[0], sent.text

    log.scene("Minh gửi dồn dập", "Thirty messages at once get one answer.")
    await t.flood(minh, "Minh", "alo", 30)
    await t.say(minh, "Minh", "/xoa")

    log.scene("Lan xóa dữ liệu của mình")
    await t.say(lan, "Lan", "/xoa", language_code="en")
    await t.press(lan, "Lan", "Xóa dữ liệu của tôi")

    log.scene("Chị Hoa, Bí thư Đoàn phường, xem hướng dẫn")
    thuc_phan = await app.store.units.by_code("w01273")
    assert thuc_phan is not None
    code = await create_invite(app.store, "secretary", now=app.clock.now(), unit_id=thuc_phan.id)
    await t.say(hoa, "Hoa", f"/start i-{code}")
    await t.say(hoa, "Hoa", "/trogiup")
    await t.say(hoa, "Hoa", "/baocao dam thuy")


async def _person_id(app: App, channel: str, user: int | str) -> int:
    person = await app.store.people.by_identity(channel, str(user))
    assert person is not None
    return person.id


# --------------------------------------------------------------------------- Zalo


class ZaloWalk:
    """People on Zalo: every message goes through getUpdates; the bot's answers are logged."""

    def __init__(self, api: FakeZaloApi, channel: ZaloChannel, log: Log) -> None:
        self.api = api
        self.channel = channel
        self.log = log

    async def _push(self, user: str, who: str, what: str, events: list[dict[str, Any]]) -> str:
        self.log.person(who, what)
        before, target = len(self.api.sent), self.channel.processed + len(events)
        for event in events:
            self.api.push(event)
        await _wait(lambda: self.channel.processed >= target)
        texts = [text for chat, text in self.api.sent[before:] if chat == user]
        for text in texts:
            self.log.bot(text)
        return "\n---\n".join(texts)

    async def say(self, user: str, who: str, text: str) -> str:
        return await self._push(user, who, _said(text), [make_text_event(user, text)])

    async def sticker(self, user: str, who: str) -> str:
        event = make_event("message.sticker.received", user_id=user, sticker="0e078a2f")
        return await self._push(user, who, "(nhãn dán)", [event])

    async def photo(self, user: str, who: str, caption: str) -> str:
        event = make_event(
            "message.image.received",
            user_id=user,
            photo_url="https://example.test/p.jpg",
            caption=caption,
        )
        return await self._push(user, who, f"(ảnh, chú thích: “{caption}”)", [event])

    async def burst(self, user: str, who: str, texts: list[str], what: str) -> str:
        """Messages sent at once, before any answer (dated a moment before now)."""
        sent_at = int((NOW - timedelta(seconds=1)).timestamp() * 1000)
        events = [
            make_text_event(user, text, date_ms=sent_at + index) for index, text in enumerate(texts)
        ]
        return await self._push(user, who, what, events)


async def _wait(condition: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for the Zalo adapter")
        await asyncio.sleep(0.005)


ZALO_INTRO = """\
A walk through the whole flow on Zalo, recorded by `python -m tests.walks` (the same walk
runs in `tests/test_conversation_walks.py`): our Zalo client polling the fake Zalo Bot API
on 127.0.0.1, the real engine, a real SQLite file, a fake clock on 1 July 2025. Zalo bots
have no buttons: options are numbered and typed, and nobody is told to tap anything. 👤 is
what the person sent, 🤖 each message the bot sent. No call in this walk got an error answer
from the fake Zalo API."""


async def walk_zalo(app: App, api: FakeZaloApi) -> Log:
    log = Log("Một cuộc trò chuyện trên Zalo", ZALO_INTRO)
    client = ZaloClient(
        api.token, base_url=api.base_url, retry=RetryPolicy(max_attempts=3, base_delay=0.01)
    )
    fast = ZaloOptions(poll_timeout=1, per_chat_interval=0.0, backoff_base=0.01)
    channel = ZaloChannel(app, build_engine(app), options=fast, client=client)
    stop = asyncio.Event()
    task = asyncio.create_task(channel.serve(stop))
    try:
        await _wait(lambda: bool(channel.health()["ok"]) or task.done())
        await _zalo_scenes(app, ZaloWalk(api, channel, log), log)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await client.aclose()
    return log


async def _zalo_scenes(app: App, z: ZaloWalk, log: Log) -> None:
    mai, tuan, khoa = "a1b2c3d4e5f60718293a", "0f1e2d3c4b5a69788796", "9a8b7c6d5e4f30211203"
    log.scene("Mai gõ mọi câu trả lời", "Numbers, option words without accents, yes words.")
    await z.say(mai, "Mai", "Chào ad, em muốn gửi câu hỏi")
    await z.say(mai, "Mai", "dong y")
    await z.sticker(mai, "Mai")
    await z.say(mai, "Mai", "thuc phan")
    await z.say(mai, "Mai", "1")
    await z.say(mai, "Mai", "Hoàng Thị Mai")
    await z.say(mai, "Mai", "số 4")
    await z.say(mai, "Mai", "nghe nghiep viec lam")
    await z.say(mai, "Mai", QUESTION)
    await z.say(mai, "Mai", ADDITION)
    await z.say(mai, "Mai", "1")
    await z.say(mai, "Mai", "gui luon nhe")
    await z.say(mai, "Mai", "/cauhoi")

    log.scene("Tuấn đổi sang tiếng Anh giữa chừng, gửi câu hỏi kèm ảnh")
    await z.say(tuan, "Tuấn", "/start")
    await z.say(tuan, "Tuấn", "ok")
    await z.say(tuan, "Tuấn", "dam thuy")
    await z.say(tuan, "Tuấn", "/ngonngu en")
    await z.say(tuan, "Tuấn", "1")
    await z.say(tuan, "Tuấn", "an danh")
    await z.say(tuan, "Tuấn", "skip")
    await z.say(tuan, "Tuấn", "6")
    await z.photo(tuan, "Tuấn", PHOTO_QUESTION)
    await z.say(tuan, "Tuấn", "yes")

    log.scene("Mai sửa, rút câu hỏi bằng mã")
    mine = await app.store.questions.of_person(await _person_id(app, "zalo", mai))
    tuans = await app.store.questions.of_person(await _person_id(app, "zalo", tuan))
    await z.say(mai, "Mai", f"/sua {mine[0].code.lower()}")
    await z.say(
        mai,
        "Mai",
        "Em muốn hỏi tỉnh có hỗ trợ thanh niên dân tộc thiểu số học nghề rồi tìm việc làm "
        "ở quê không ạ?",
    )
    await z.say(mai, "Mai", f"/rut {tuans[0].code}")
    await z.say(mai, "Mai", "/rut ZZZZZZ")

    log.scene("Khoa gửi dồn dập", "Thirty messages sent at once get one answer.")
    await z.burst(khoa, "Khoa", ["alo"] * 30, "(gửi “alo” 30 lần liền)")
    await z.say(khoa, "Khoa", "/xoa")

    log.scene("Tuấn gửi câu hỏi thành nhiều tin liền nhau")
    await z.say(tuan, "Tuấn", "/hoi")
    await z.say(tuan, "Tuấn", "1")
    await z.burst(
        tuan,
        "Tuấn",
        [
            "Em muốn hỏi về mạng internet ở các thôn vùng cao.",
            "Nhiều thôn chưa có sóng 4G nên học trực tuyến rất khó.",
            "Bao giờ tỉnh phủ sóng hết ạ?",
        ],
        "(gửi 3 tin liền nhau)",
    )
    await z.say(tuan, "Tuấn", "1")
    await z.say(tuan, "Tuấn", "1")

    log.scene("Mai xóa dữ liệu của mình")
    await z.say(mai, "Mai", "/xoa")
    await z.say(mai, "Mai", "1")


# --------------------------------------------------------------------------- running


async def prepared_app(folder: Path) -> App:
    """An app on a new database in ``folder`` with Cao Bằng's units and one campaign."""
    os.environ["YOUTHBOT_DB"] = str(folder / "walk.db")
    os.environ["YOUTHBOT_OUT_DIR"] = str(folder / "out")
    app = await App.open(Settings(env_file=None), clock=FakeClock(NOW))
    await app.store.units.upsert_many(province_units("cao_bang"), now=app.clock.now())
    await create_campaign(app, title=CAMPAIGN_TITLE, dialogue=date(2025, 8, 28))
    return app


async def _write(run: Callable[[Path], Awaitable[Log]], target: Path, folder: Path) -> None:
    log = await run(folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(log.markdown(), encoding="utf-8")
    print(f"wrote {target}")


async def _telegram_to_file(folder: Path) -> Log:
    async with FakeTelegramAPI(token=TOKEN) as api:
        os.environ["TELEGRAM_BOT_TOKEN"] = api.token
        os.environ["TELEGRAM_API_BASE_URL"] = api.bot_url
        os.environ["TELEGRAM_FILE_BASE_URL"] = api.file_url
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        app = await prepared_app(folder / "telegram")
        try:
            log = await walk_telegram(app, api)
        finally:
            await app.close()
        problems = api.error_answers
        if problems or api.errors:
            raise SystemExit(f"the fake Bot API answered errors: {problems or api.errors}")
        return log


async def _zalo_to_file(folder: Path) -> Log:
    async with FakeZaloApi(max_poll_seconds=1) as api:
        app = await prepared_app(folder / "zalo")
        try:
            log = await walk_zalo(app, api)
        finally:
            await app.close()
        refused = [r for r in api.requests if r.status >= 400 and r.method != "getUpdates"]
        if refused:
            raise SystemExit(f"the fake Zalo API answered errors: {refused}")
        return log


async def main(docs: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in ("telegram", "zalo"):
            (folder / name).mkdir()
        await _write(_telegram_to_file, docs / "telegram.md", folder)
        await _write(_zalo_to_file, docs / "zalo.md", folder)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/conversations")
    asyncio.run(main(target))
