"""A crash or an outage never costs anyone a reply; clean restarts replay nothing.

The production process (``youthbot run``) is killed with SIGKILL at exact points between
the commit of an event and the delivery of its reply (``tests/kill_points.py``), then
restarted; outages, HTML error pages, lost answers and a revoked token come from the fake
Bot APIs on 127.0.0.1. Real SQLite files, the real engine, PTB's real HTTP stack.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.application.app import App
from bot.application.wiring import build_engine
from bot.campaign.setup import create_campaign
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel, ZaloOptions
from bot.channels.zalo_client import RetryPolicy, ZaloClient
from bot.delivery.outbox import OutboxSender
from handlers.broadcast import plan_broadcast, start_broadcast
from handlers.engine import CONSENT_VERSION
from storage.models import Campaign
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_api import FakeZaloApi, make_text_event
from tests.test_telegram_support import (
    TOKEN,
    latest_prompt,
    options,
    press,
    running,
    settle,
    telegram_app,
    texts_since,
)

ROOT = Path(__file__).resolve().parents[1]
USER = 918273645  # distinctive: the privacy test looks for it in the database files
NAME = "Lường Thị Khánhvy"
QUESTION = "Em muốn hỏi tỉnh có chính sách gì hỗ trợ thanh niên học nghề miễn phí không ạ?"


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN) as server:
        yield server
        assert server.errors == []


@pytest.fixture
async def open_campaign(province_app: App) -> Campaign:
    """A campaign taking questions today on the real clock (the subprocess' clock)."""
    province_app.clock.set(datetime.now(UTC))  # type: ignore[attr-defined]
    dialogue = (datetime.now(UTC) + timedelta(days=58)).date()
    return await create_campaign(province_app, title="Đối thoại thanh niên", dialogue=dialogue)


@pytest.fixture
def tg_app(
    province_app: App,
    open_campaign: Campaign,
    api: FakeTelegramAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> App:
    return telegram_app(province_app, api, monkeypatch)


def new_channel(app: App, **changes: Any) -> TelegramChannel:
    return TelegramChannel(app, build_engine(app), options=options(**changes))


def duplicates(api: FakeTelegramAPI, chat: int = USER) -> dict[str, int]:
    """Texts that reached ``chat`` more than once as new messages."""
    counts = Counter(api.sent_texts(chat))
    return {text[:40]: n for text, n in counts.items() if n > 1}


def rows(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


# ---- kill -9 at exact points, then a restart (the production process) ----------------------


class BotProcess:
    """``youthbot run`` as a subprocess (through ``tests.kill_points``)."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.runs: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, **extra: str) -> subprocess.Popen[bytes]:
        log = self.workdir / f"run{len(self.runs) + 1}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "tests.kill_points"],
                env={**self.env, **extra},
                cwd=self.workdir,
                stdout=out,
                stderr=out,
            )
        self.runs.append((proc, log))
        return proc

    async def killed(self, proc: subprocess.Popen[bytes], timeout: float = 20) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            assert time.monotonic() < deadline, f"the kill point was never reached\n{self.log(-1)}"
            await asyncio.sleep(0.02)
        assert proc.returncode == -signal.SIGKILL, self.log(-1)

    async def stop(self, proc: subprocess.Popen[bytes]) -> None:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 40)
        assert code == 0, self.log(-1)

    def log(self, index: int) -> str:
        return self.runs[index][1].read_text(errors="replace")

    def kill_all(self) -> None:
        for proc, _ in self.runs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


def bot_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("YOUTHBOT_", "TELEGRAM_", "ZALO_", "KILL_"))
    }
    env.update(
        YOUTHBOT_DB=str(tmp_path / "youthbot.db"),
        YOUTHBOT_LOG_LEVEL="INFO",
        PTB_TIMEDELTA="true",
        PYTHONPATH=str(ROOT),
        # On PostgreSQL, the restarted bot takes over a killed worker's messages and the
        # scheduler's lease once it is silent this long: 3 s, not the operators' 15 s.
        YOUTHBOT_WORKER_LEASE_SECONDS="3",
        **settings,
    )
    return env


@pytest.mark.parametrize("action", ["message", "press"])
@pytest.mark.parametrize("point", ["engine", "commit", "sent"])
async def test_kill_9_between_commit_and_send_costs_no_reply(
    tg_app: App, api: FakeTelegramAPI, tmp_path: Path, point: str, action: str
) -> None:
    """Killed before the commit, after it, or after the delivery but before the row is
    forgotten: the restart brings the answer to the person's last action; only a new
    message delivered just before the kill arrives twice, and then the log says so."""
    bot = BotProcess(
        tmp_path,
        bot_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_BASE_URL=api.bot_url,
            TELEGRAM_FILE_BASE_URL=api.file_url,
        ),
    )
    nth = "1" if action == "message" else "2"
    try:
        first = bot.start(KILL_AT=point, KILL_NTH=nth)
        api.push_message(USER, "/start")
        if action == "press":
            await api.wait_for(lambda: api.sent_texts(USER), 20, what="the welcome")
            press(api, USER, "đồng ý")
        await bot.killed(first)
        start = len(api.calls)
        second = bot.start()
        if action == "message":  # the answer to /start: the welcome and the consent prompt
            expected = "Mình đồng ý"
            await api.wait_for(lambda: latest_prompt_has(api, expected), 20, what="the welcome")
        else:  # the answer to the press: the question about the commune
            expected = "xã, phường"
            await api.wait_for(
                lambda: any(expected in t for t in texts_since(api, USER, start - 1)),
                20,
                what="the answer to the press",
            )
            await asyncio.sleep(1.5)  # anything late (a duplicate) still arrives
        # The conversation goes on from there.
        if action == "message":
            press(api, USER, "đồng ý")
            await api.wait_for(
                lambda: any("xã, phường" in t for t in texts_since(api, USER, start)), 20
            )
        api.push_message(USER, "thuc phan")
        await api.wait_for(lambda: latest_prompt_has(api, "Thục Phán"), 20, what="the units")
        await bot.stop(second)
    finally:
        bot.kill_all()

    log = bot.log(1)
    doubled = duplicates(api)
    if point == "sent" and action == "message":
        # Delivered, then killed before it was forgotten: it comes again, marked.
        assert len(doubled) == 1 and next(iter(doubled.values())) == 2, doubled
        assert "may arrive twice" in log and "sent again" in log, log
    else:
        assert doubled == {}, doubled  # an edit replayed is "not modified": done
    if point in ("commit", "sent"):
        assert "left by the last run" in log  # the stored reply, taken over
    if point == "sent" and action == "press":
        edits = [c for c in api.calls_to("editMessageText") if c.status == 400]
        assert any("not modified" in str(c.response) for c in edits)
    # A clean stop leaves nothing to replay or to send.
    db = tmp_path / "youthbot.db"
    assert rows(db, "update_inbox") == 0
    assert rows(db, "reply_outbox") == 0
    assert "Traceback" not in bot.log(1)


def latest_prompt_has(api: FakeTelegramAPI, label: str) -> bool:
    try:
        prompt = latest_prompt(api, USER)
    except AssertionError:
        return False
    return any(label in text for row in prompt.buttons for text, _ in row)


async def test_kill_9_on_zalo_costs_no_reply(
    province_app: App, open_campaign: Campaign, tmp_path: Path
) -> None:
    """Zalo forgets what getUpdates returned: the update is stored first, and the reply
    committed with its handling survives a kill -9 before it was sent."""
    user = "5f1e2d3c4b5a69788796"
    async with FakeZaloApi(max_poll_seconds=1) as zalo:
        bot = BotProcess(
            tmp_path,
            bot_env(tmp_path, ZALO_BOT_TOKEN=zalo.token, ZALO_API_BASE_URL=zalo.base_url),
        )

        def logs() -> str:
            return "\n".join(bot.log(i) for i in range(len(bot.runs)))

        try:
            first = bot.start(KILL_CHANNEL="zalo", KILL_AT="commit", KILL_NTH="2")
            zalo.push(make_text_event(user, "/start"))
            await wait_for(lambda: len(zalo.sent) >= 1, 30, logs)
            zalo.push(make_text_event(user, "1"))  # "Mình đồng ý", typed as its number
            await bot.killed(first, 30)
            second = bot.start(KILL_CHANNEL="zalo")
            await wait_for(lambda: any("xã, phường" in t for _, t in zalo.sent), 30, logs)
            zalo.push(make_text_event(user, "thuc phan"))
            await wait_for(lambda: any("Thục Phán" in t for _, t in zalo.sent), 30, logs)
            await bot.stop(second)
        finally:
            bot.kill_all()
    texts = [t for _, t in zalo.sent]
    assert len(texts) == len(set(texts)), (texts, logs())  # nothing twice
    assert "left by the last run" in bot.log(1), logs()
    db = tmp_path / "youthbot.db"
    assert (rows(db, "update_inbox"), rows(db, "reply_outbox")) == (0, 0), logs()


async def wait_for(predicate: Any, timeout: float, logs: Any = None) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out" + (f"\n{logs()}" if logs else "")
        await asyncio.sleep(0.02)


# ---- outages, error pages, lost answers (in process) ---------------------------------------


async def walk_to_question(api: FakeTelegramAPI, channel: TelegramChannel, user: int) -> None:
    """One person from /start to the question text prompt."""
    api.push_message(user, "/start")
    await settle(api, channel)
    for step in ("đồng ý",):
        press(api, user, step)
        await settle(api, channel)
    api.push_message(user, "thuc phan")
    await settle(api, channel)
    press(api, user, "Thục Phán")
    await settle(api, channel)


async def test_an_outage_of_send_methods_costs_nobody_a_reply(
    tg_app: App, api: FakeTelegramAPI, caplog: pytest.LogCaptureFixture
) -> None:
    """Sends fail with 500s and 502 HTML pages for a while: everyone's last action is
    answered once it is over, nothing twice, one log line per failure, no traceback."""
    people = [USER + i for i in range(6)]
    async with running(new_channel(tg_app, shutdown_timeout=10.0)) as channel:
        for user in people:
            api.push_message(user, "/start")
        await settle(api, channel)
        api.fail_next("editMessageText", 502, html=True, times=3)  # a front end's page
        api.fail_during(1.0, status=500)
        with caplog.at_level(logging.INFO):
            for user in people:
                press(api, user, "đồng ý")
            await asyncio.sleep(1.2)
            await settle(api, channel, timeout=15)
    for user in people:
        answers = [t for t in api.sent_texts(user) if "xã, phường" in t] + [
            str(c.params.get("text"))
            for c in api.calls_to("editMessageText")
            if c.ok and c.params.get("chat_id") == user and "xã, phường" in str(c.params)
        ]
        assert answers, f"{user} got no answer to the press"
        assert duplicates(api, user) == {}
    failed = [c for c in api.calls if c.status in (500, 502)]
    assert failed  # the outage happened
    records = [r for r in caplog.records if r.name.startswith(("bot.", "telegram"))]
    assert not [r for r in records if r.exc_info], "a transient error logged a traceback"
    assert "Can not load invalid JSON" not in caplog.text
    assert "<html>" not in caplog.text and "nginx" not in caplog.text
    assert any("an HTML page" in r.getMessage() for r in records)


async def test_lost_answers_are_marked_and_edits_are_not_repeated(
    tg_app: App, api: FakeTelegramAPI, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(new_channel(tg_app)) as channel:
        api.lose_next("sendMessage")  # the welcome arrives, its answer does not
        with caplog.at_level(logging.INFO):
            api.push_message(USER, "/start")
            await settle(api, channel)
            api.lose_next("editMessageText")  # the press's edit is made, its answer lost
            press(api, USER, "đồng ý")
            await settle(api, channel)
        health = channel.health()
    assert api.lost_answers == 2
    # The welcome went twice (Telegram did the work the first time) and is marked...
    assert list(duplicates(api).values()) == [2]
    assert health["replies_resent"] == 1
    assert "may have arrived twice" in caplog.text
    # ...the edit was retried, found "not modified", and never sent as a new message.
    edits = api.calls_to("editMessageText")
    assert [c.status for c in edits] == [200, 400]
    assert not any("xã, phường" in t for t in api.sent_texts(USER))


async def test_a_revoked_token_pauses_replies_and_broadcasts_until_fixed(
    tg_app: App, api: FakeTelegramAPI, caplog: pytest.LogCaptureFixture
) -> None:
    person, _ = await tg_app.store.people.get_or_create(
        channel="telegram",
        external_id="777",
        chat_id="777",
        display_name=None,
        language="vi",
        now=tg_app.clock.now(),
    )
    await tg_app.store.people.grant_consent(
        person.id, version=CONSENT_VERSION, now=tg_app.clock.now()
    )
    campaign = (await tg_app.store.campaigns.active())[0]
    channel = new_channel(tg_app, token_probe_interval=0.2)
    async with running(channel):
        sender = OutboxSender(tg_app.store, {"telegram": channel}, tg_app.clock)
        api.revoke_token()
        with caplog.at_level(logging.INFO):
            api.push_message(USER, "/start")  # refused while polling: 401
            plan = await plan_broadcast(tg_app.store, campaign, "youth")
            await start_broadcast(
                tg_app.store, plan, "Thông báo hạn", author_id=None, now=tg_app.clock.now()
            )
            for _ in range(3):
                await sender.drain_once()
                await asyncio.sleep(0.1)
            assert channel.health()["token_refused"]
            assert not channel.health()["ok"]
            counts = await tg_app.store.outbox.counts()
            assert counts.get("failed", 0) == 0 and counts.get("pending") == 1, counts
            api.restore_token()
            await api.wait_for(lambda: not channel.health()["token_refused"], 5)
            tg_app.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
            await sender.drain_once()
            await settle(api, channel)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "TELEGRAM_BOT_TOKEN" in errors[0].getMessage()
    assert not errors[0].exc_info
    assert "Bạn có đồng ý không?" in "\n".join(api.sent_texts(USER))  # answered
    assert api.sent_texts(777) == ["Thông báo hạn"]  # the broadcast went, not failed
    assert (await tg_app.store.outbox.counts()) == {"sent": 1}


# ---- clean stops, old updates ---------------------------------------------------------------


async def test_a_clean_stop_leaves_nothing_to_replay(tg_app: App, api: FakeTelegramAPI) -> None:
    async with running(new_channel(tg_app)) as channel:
        await walk_to_question(api, channel, USER)
    db = Path(tg_app.store.db.path)
    assert rows(db, "update_inbox") == 0 and rows(db, "reply_outbox") == 0
    calls = len(api.calls)
    async with running(new_channel(tg_app)) as again:
        await settle(api, again)
        await asyncio.sleep(0.3)
        health = again.health()
    assert health["handled"] == 0 and health["failed"] == 0
    methods = {c.method for c in api.calls[calls:]}
    assert not methods & {"answerCallbackQuery", "sendMessage", "editMessageText"}


async def test_a_start_after_days_down_handles_nothing_old(
    tg_app: App, api: FakeTelegramAPI, caplog: pytest.LogCaptureFixture
) -> None:
    """Updates a crash left stored: those from days ago are dropped, a recent one is
    handled; a press replayed after Telegram stopped waiting is not answered."""
    store = tg_app.store
    now = tg_app.clock.now()
    old = api.push_message(USER + 1, "/start", enqueue=False)
    recent = api.push_message(USER, "/start", enqueue=False)

    await store.updates.receive(
        "telegram", [(str(old["update_id"]), old["update_id"], json.dumps(old))], now=now
    )
    tg_app.clock.advance(timedelta(days=3))  # type: ignore[attr-defined]
    await store.updates.receive(
        "telegram",
        [(str(recent["update_id"]), recent["update_id"], json.dumps(recent))],
        now=tg_app.clock.now(),
    )
    with caplog.at_level(logging.INFO):
        async with running(new_channel(tg_app)) as channel:
            await settle(api, channel)
            prompt = latest_prompt(api, USER)
            pressed = api.push_callback(
                USER, prompt.data("đồng ý"), message_id=prompt.message_id, enqueue=False
            )
            key = str(pressed["update_id"])
    # The press was stored but not handled (a crash); the bot comes back a minute later.
    await store.updates.receive(
        "telegram", [(key, pressed["update_id"], json.dumps(pressed))], now=tg_app.clock.now()
    )
    tg_app.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    answers = len(api.callback_answers)
    async with running(new_channel(tg_app)) as channel:
        await settle(api, channel)
    assert api.sent_texts(USER + 1) == []  # three days old: dropped
    assert "older than 24 hours dropped" in caplog.text
    assert any("xã, phường" in str(c.params.get("text")) for c in api.calls_to("editMessageText"))
    assert len(api.callback_answers) == answers  # a minute late: not answered
    assert rows(Path(store.db.path), "update_inbox") == 0


# ---- privacy at rest ------------------------------------------------------------------------


async def test_after_xoa_the_name_and_ids_leave_the_files_within_seconds(
    tg_app: App, api: FakeTelegramAPI
) -> None:
    db = Path(tg_app.store.db.path)
    async with running(new_channel(tg_app)) as channel:
        await walk_to_question(api, channel, USER)
        api.push_message(USER, NAME)
        await settle(api, channel)
        for label in ("Học sinh", "việc làm"):
            press(api, USER, label)
            await settle(api, channel)
        api.push_message(USER, QUESTION)
        await settle(api, channel)
        press(api, USER, "Gửi")
        await settle(api, channel)
        assert _on_disk(db, NAME.encode()) and _on_disk(db, str(USER).encode())
        api.push_message(USER, "/xoa")
        await settle(api, channel)
        press(api, USER, "Xóa")
        await settle(api, channel)
        # A quiet bot: nothing else happens; the name and ids must still go.
        await _eventually(lambda: not _on_disk(db, NAME.encode()), 5)
        await _eventually(lambda: not _on_disk(db, str(USER).encode()), 5)
        assert rows(db, "update_inbox") == 0
    assert await tg_app.store.people.by_identity("telegram", str(USER)) is None
    assert tg_app.store.db.checkpoints >= 1


def _on_disk(db: Path, needle: bytes) -> bool:
    """Whether ``needle`` is in the database file or its WAL (what a disk image holds)."""
    found = False
    for path in (db, db.with_name(db.name + "-wal")):
        if path.exists() and needle in path.read_bytes():
            found = True
    return found


async def _eventually(predicate: Any, timeout: float) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.1)


# ---- webhooks -------------------------------------------------------------------------------


async def _raw_post(url: str, path: str, header: bytes) -> int:
    """POST with a header value that is not UTF-8 (clients refuse to send one)."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    body = b'{"update_id": 1}'
    writer.write(
        b"POST "
        + path.encode()
        + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + header
        + b"\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


async def test_a_bad_secret_header_is_refused_never_a_500(
    province_app: App, api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.channels.webserver import WebServer

    app = telegram_app(
        province_app,
        api,
        monkeypatch,
        TELEGRAM_WEBHOOK_URL="https://bot.example.test/telegram/webhook",
        TELEGRAM_WEBHOOK_SECRET="s3cret-token",
    )
    async with WebServer(host="127.0.0.1", port=0) as web:
        channel = TelegramChannel(app, build_engine(app), options=options(), web=web)
        async with running(channel):
            statuses = [
                await _raw_post(web.url, "/telegram/webhook", header)
                for header in (
                    b"X-Telegram-Bot-Api-Secret-Token: \xff\xfe",
                    b"X-Telegram-Bot-Api-Secret-Token: s3cret-\xc3\x28",
                    b"X-Telegram-Bot-Api-Secret-Token: \xe1\xba\xa1",
                )
            ]
            async with httpx.AsyncClient() as client:
                good = await client.post(
                    f"{web.url}/telegram/webhook",
                    content=b"not json",
                    headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"},
                )
    assert statuses == [403, 403, 403]
    assert good.status_code == 400


# ---- Zalo: the same guarantees --------------------------------------------------------------


ZALO_USER = "5f1e2d3c4b5a69788796"


@contextlib.asynccontextmanager
async def zalo_bot(app: App, zalo: FakeZaloApi, **changes: Any) -> AsyncIterator[ZaloChannel]:
    client = ZaloClient(
        zalo.token,
        base_url=zalo.base_url,
        timeout=changes.pop("http_timeout", 5.0),
        retry=RetryPolicy(max_attempts=1, base_delay=0.01, jitter=False),
    )
    opts = ZaloOptions(
        poll_timeout=1,
        per_chat_interval=0.0,
        backoff_base=0.01,
        backoff_max=0.05,
        start_attempts=2,
        shutdown_timeout=5,
        **changes,
    )
    channel = ZaloChannel(app, build_engine(app), options=opts, client=client)
    stop = asyncio.Event()
    task = asyncio.create_task(channel.serve(stop))
    await wait_for(lambda: bool(channel.health()["ok"]) or task.done(), 5)
    try:
        yield channel
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await client.aclose()


async def zalo_settle(zalo: FakeZaloApi, channel: ZaloChannel, timeout: float = 10) -> None:  # noqa: ASYNC109
    await wait_for(
        lambda: (
            not zalo.pending
            and channel.health()["in_flight"] == 0
            and channel.health()["replies_waiting"] == 0
        ),
        timeout,
    )


async def test_zalo_outage_lost_answers_and_a_revoked_token(
    province_app: App, open_campaign: Campaign, caplog: pytest.LogCaptureFixture
) -> None:
    async with (
        FakeZaloApi(max_poll_seconds=1) as zalo,
        zalo_bot(province_app, zalo, token_probe_interval=0.2) as channel,
    ):
        # An outage of sendMessage: the answer comes once it is over, once.
        zalo.fail_during(0.6, status=502)
        zalo.push(make_text_event(ZALO_USER, "/start"))
        await zalo_settle(zalo, channel)
        assert [t for _, t in zalo.sent].count(zalo.sent[0][1]) == 1
        assert any(r.status == 502 for r in zalo.calls("sendMessage"))
        # A lost answer: delivered, the bot cannot know; sent again and marked.
        zalo.lose_next("sendMessage")
        with caplog.at_level(logging.INFO):
            zalo.push(make_text_event(ZALO_USER, "1"))  # "Mình đồng ý"
            await zalo_settle(zalo, channel)
        texts = [t for _, t in zalo.sent]
        assert len(texts) - len(set(texts)) == 1  # one duplicate...
        assert channel.health()["replies_resent"] == 1  # ...marked
        assert "may have arrived twice" in caplog.text
        # A revoked token pauses polling and sending; nothing is lost meanwhile.
        zalo.revoke_token()
        zalo.push(make_text_event(ZALO_USER, "thuc phan"))
        await wait_for(lambda: channel.health()["token_refused"], 5)
        before = len(zalo.sent)
        zalo.restore_token()
        await wait_for(lambda: not channel.health()["token_refused"], 5)
        await zalo_settle(zalo, channel)
        assert len(zalo.sent) > before and "Thục Phán" in zalo.sent[-1][1]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [("ZALO_BOT_TOKEN" in r.getMessage(), bool(r.exc_info)) for r in errors] == [
        (True, False)
    ]


async def test_zalo_webhook_bad_secret_header_is_refused(
    province_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.application.config import Settings
    from bot.channels.webserver import WebServer

    async with FakeZaloApi() as zalo:
        monkeypatch.setenv("ZALO_BOT_TOKEN", zalo.token)
        monkeypatch.setenv("ZALO_API_BASE_URL", zalo.base_url)
        monkeypatch.setenv("ZALO_WEBHOOK_URL", "https://bot.example.test/zalo/webhook")
        monkeypatch.setenv("ZALO_WEBHOOK_SECRET", "zalo-webhook-secret_123")
        province_app.settings = Settings(env_file=None)
        async with WebServer(host="127.0.0.1", port=0) as web:
            client = ZaloClient(zalo.token, base_url=zalo.base_url)
            channel = ZaloChannel(province_app, build_engine(province_app), web=web, client=client)
            await channel.start()
            try:
                status = await _raw_post(
                    web.url, "/zalo/webhook", b"X-Bot-Api-Secret-Token: \xff\xfezalo"
                )
            finally:
                await channel.stop()
                await client.aclose()
    assert status == 403


async def test_a_broadcast_resent_after_a_lost_answer_is_reported(
    tg_app: App, api: FakeTelegramAPI
) -> None:
    """Not only a crash: a send whose answer was lost is retried, and the retry counted
    as a possible duplicate in the broadcast's report."""
    for n in (801, 802, 803):
        person, _ = await tg_app.store.people.get_or_create(
            channel="telegram",
            external_id=str(n),
            chat_id=str(n),
            display_name=None,
            language="vi",
            now=tg_app.clock.now(),
        )
        await tg_app.store.people.grant_consent(
            person.id, version=CONSENT_VERSION, now=tg_app.clock.now()
        )
    campaign = (await tg_app.store.campaigns.active())[0]
    async with running(new_channel(tg_app)) as channel:
        sender = OutboxSender(tg_app.store, {"telegram": channel}, tg_app.clock)
        plan = await plan_broadcast(tg_app.store, campaign, "youth")
        batch, _ = await start_broadcast(
            tg_app.store, plan, "Thông báo", author_id=None, now=tg_app.clock.now()
        )
        api.lose_next("sendMessage")
        await sender.drain_once()
        tg_app.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
        await sender.drain_once()
        progress = await tg_app.store.outbox.progress(batch)
    assert (progress.sent, progress.resent) == (3, 1)
    doubled = [chat for chat in (801, 802, 803) if len(api.sent_texts(chat)) == 2]
    assert len(doubled) == 1  # the lost one arrived twice, as reported


async def test_zalo_polled_updates_leave_the_inbox_once_handled(
    province_app: App, open_campaign: Campaign
) -> None:
    """Stored before handling (Zalo forgets what it returned), gone once handled, also
    for an event without the platform's message id."""
    anonymous = make_text_event(ZALO_USER, "/trogiup")
    del anonymous["message"]["message_id"]
    async with (
        FakeZaloApi(max_poll_seconds=1) as zalo,
        zalo_bot(province_app, zalo) as channel,
    ):
        zalo.push(make_text_event(ZALO_USER, "/start"))
        zalo.push(anonymous)
        zalo.push(make_text_event(ZALO_USER, "xin chào", chat_type="GROUP"))  # ignored
        await zalo_settle(zalo, channel)
        assert channel.health()["processed"] == 3
        assert await province_app.store.updates.inbox("zalo") == []
    assert len(zalo.sent) == 2
