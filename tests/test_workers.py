"""Several workers over one PostgreSQL database.

Real ``youthbot run`` processes in webhook mode share one PostgreSQL (tests/pg.py) and the
fake Bot API: an update delivered to both is handled once, one person's burst spread over
both is handled one event at a time and in order, a broadcast drained by both keeps
Telegram's overall limit and sends each message once, and the scheduler's lease moves to
the survivor when its holder is killed. Faster in-process tests pin the pieces (leases,
recovery of a dead worker's messages, the shared token bucket).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.application.app import App
from bot.application.workers import SCHEDULER_LEASE, SharedRate, Worker
from bot.campaign.setup import create_campaign
from handlers.broadcast import plan_broadcast, start_broadcast
from handlers.engine import CONSENT_VERSION
from storage.models import Campaign, Conversation
from storage.outbox import NewMessage
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_telegram_support import TOKEN, latest_prompt

pytestmark = pytest.mark.postgresql

SECRET = "webhook-secret-for-workers"
KILL_LEASE = 5
"""Seconds (``YOUTHBOT_WORKER_LEASE_SECONDS``) after which the survivor of a kill -9 takes
over, not the operators' 15: short, yet long past a heartbeat (a third of it) so that a
live worker slowed down by a busy machine is not taken for dead."""
QUESTION = "Tỉnh có chính sách hỗ trợ thanh niên khởi nghiệp vay vốn ưu đãi không ạ?"


@pytest.fixture
def backend() -> str:
    return "postgresql"


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN) as server:
        yield server


@pytest.fixture
async def campaign(province_app: App) -> Campaign:
    # The workers run on the real clock: a campaign collecting questions today.
    province_app.clock.set(datetime.now(UTC))  # type: ignore[attr-defined]
    today = datetime.now(UTC).date()
    return await create_campaign(
        province_app, title="Đối thoại toàn quốc", dialogue=today + timedelta(days=40)
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class WorkerProcess:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram/webhook"

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@dataclass
class Workers:
    api: FakeTelegramAPI
    folder: Path
    running: list[WorkerProcess] = field(default_factory=list)

    def start(self, lease: int | None = None) -> WorkerProcess:
        port = _free_port()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("YOUTHBOT_", "TELEGRAM_", "ZALO_"))
        }
        env.update(
            YOUTHBOT_DB=os.environ["YOUTHBOT_DB"],
            YOUTHBOT_LOG_LEVEL="INFO",
            YOUTHBOT_WEB_HOST="127.0.0.1",
            YOUTHBOT_WEB_PORT=str(port),
            TELEGRAM_BOT_TOKEN=self.api.token,
            TELEGRAM_API_BASE_URL=self.api.bot_url,
            TELEGRAM_FILE_BASE_URL=self.api.file_url,
            TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook",
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            TELEGRAM_WEBHOOK_MAX_CONNECTIONS="100",
            PTB_TIMEDELTA="true",
        )
        if lease is not None:
            env["YOUTHBOT_WORKER_LEASE_SECONDS"] = str(lease)
        log = self.folder / f"worker-{len(self.running) + 1}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--channel", "telegram"],
                env=env,
                cwd=self.folder,
                stdout=out,
                stderr=out,
            )
        worker = WorkerProcess(port, process, log)
        self.running.append(worker)
        return worker

    async def ready(self, worker: WorkerProcess, within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if worker.process.poll() is not None:
                    raise AssertionError(f"worker exited:\n{worker.tail()}")
                try:
                    response = await client.get(f"http://127.0.0.1:{worker.port}/healthz")
                    channels = response.json().get("channels", {})
                    if response.status_code == 200 and channels.get("telegram", {}).get("ok"):
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"worker not ready:\n{worker.tail()}")

    async def stop_all(self) -> None:
        """SIGTERM each worker and wait for it, off the event loop: the fake Bot API in
        this process keeps answering the replies a stopping worker still delivers."""
        for worker in self.running:
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        for worker in self.running:
            try:
                await asyncio.to_thread(worker.process.wait, 30)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                await asyncio.to_thread(worker.process.wait, 10)


@asynccontextmanager
async def workers_for(api: FakeTelegramAPI, folder: Path) -> AsyncIterator[Workers]:
    workers = Workers(api, folder)
    try:
        yield workers
    finally:
        await workers.stop_all()


async def two_workers(
    workers: Workers, lease: int | None = None
) -> tuple[WorkerProcess, WorkerProcess]:
    a, b = workers.start(lease), workers.start(lease)
    await asyncio.gather(workers.ready(a), workers.ready(b))
    return a, b


def say(api: FakeTelegramAPI, user: int, text: str) -> dict[str, Any]:
    return api.push_message(user, text, enqueue=False)


def tap(api: FakeTelegramAPI, user: int, label: str) -> dict[str, Any]:
    prompt = latest_prompt(api, user)
    return api.push_callback(user, prompt.data(label), message_id=prompt.message_id, enqueue=False)


async def post(api: FakeTelegramAPI, worker: WorkerProcess, update: dict[str, Any]) -> int:
    status, _ = await api.post_webhook(worker.url, update, SECRET, timeout=30)
    return status


async def intake_until_send(api: FakeTelegramAPI, user: int, order: list[WorkerProcess]) -> None:
    """Every step of the question flow, each posted to the next worker of ``order`` in
    turn, each waiting for its answer as a person waits for the bot."""
    steps = [
        lambda: say(api, user, "/start"),
        lambda: tap(api, user, "đồng ý"),
        lambda: say(api, user, "thuc phan"),
        lambda: tap(api, user, "Thục Phán"),
        lambda: say(api, user, "nông thị hoa"),
        lambda: tap(api, user, "Học sinh, sinh viên"),
        lambda: tap(api, user, "việc làm"),
        lambda: say(api, user, QUESTION),
    ]
    for index, step in enumerate(steps):
        worker = order[index % len(order)]
        before = answers_to(api, user)
        assert await post(api, worker, step()) == 200, worker.tail()
        # The webhook is answered at commit; the reply follows (a person waits for it).
        await api.wait_for(
            lambda n=before: answers_to(api, user) > n,
            10,
            what=worker.tail(),  # type: ignore[misc]
        )


def answers_to(api: FakeTelegramAPI, user: int) -> int:
    """Messages and edits the bot sent to ``user``."""
    return len(api.sent_messages(user)) + sum(1 for e in api.edits if e["chat_id"] == user)


async def test_one_person_alternating_between_workers_then_the_same_send_to_both(
    api: FakeTelegramAPI, province_app: App, campaign: Campaign, tmp_path: Path
) -> None:
    user = 7001
    async with workers_for(api, tmp_path) as workers:
        a, b = await two_workers(workers)
        # Ordering: each step on the other worker than the last; the state moves on.
        await intake_until_send(api, user, [a, b])
        preview = api.sent_messages(user)[-1]["text"]
        assert "kiểm tra lại" in preview and "Nông Thị Hoa" in preview
        # Duplicate: Telegram delivers the press on "Gửi" twice (a retry after a lost
        # 200), and the proxy sends one copy to each worker at the same moment.
        send = tap(api, user, "Gửi")
        statuses = await asyncio.gather(post(api, a, send), post(api, b, send))
        assert statuses == [200, 200]
    webhooks = [c.params for c in api.calls if c.method == "setWebhook"]
    assert len(webhooks) == 2 and all(int(p["max_connections"]) == 100 for p in webhooks)
    questions = await province_app.store.questions.of_campaign(campaign.id)
    assert [q.text for q in questions] == [QUESTION]
    assert questions[0].asker_name == "Nông Thị Hoa"
    receipts = [m for m in api.sent_messages(user) if "Mã câu hỏi" in m["text"]]
    receipts += [
        e for e in api.edits if e.get("chat_id") == user and "Mã câu hỏi" in str(e.get("text"))
    ]
    assert len(receipts) == 1, "the receipt is sent once: " + repr(
        [(c.method, c.params.get("text", "")[:30], c.ok) for c in api.calls[-12:]]
    )
    assert (
        await province_app.store.db.fetchval(
            "SELECT count(*) FROM processed_updates WHERE update_id = ?",
            (str(send["update_id"]),),
        )
        == 1
    )


async def test_a_burst_spread_over_two_workers_is_handled_one_event_at_a_time(
    api: FakeTelegramAPI, province_app: App, campaign: Campaign, tmp_path: Path
) -> None:
    user, burst = 7002, 8
    async with workers_for(api, tmp_path) as workers:
        a, b = await two_workers(workers)
        assert await post(api, a, say(api, user, "/start")) == 200
        person = await province_app.store.people.by_identity("telegram", str(user))
        assert person is not None
        before = await province_app.store.conversations.get(person.id)
        step = before.step if before is not None else 0
        # Every /huy moves the conversation's step counter on by one: two events of one
        # person handled at the same time would both read the same step and one increment
        # would be lost.
        updates = [say(api, user, "/huy") for _ in range(burst)]
        statuses = await asyncio.gather(
            *(post(api, (a, b)[i % 2], u) for i, u in enumerate(updates))
        )
        assert statuses == [200] * burst
    after = await province_app.store.conversations.get(person.id)
    assert after is not None and after.step == step + burst
    handled = await province_app.store.db.fetchval(
        "SELECT count(*) FROM processed_updates WHERE channel = 'telegram'"
    )
    assert handled == burst + 1


async def test_a_broadcast_drained_by_two_workers_keeps_the_bots_rate_and_sends_once(
    api: FakeTelegramAPI, province_app: App, campaign: Campaign, tmp_path: Path
) -> None:
    count = 120
    for n in range(8000, 8000 + count):
        person, _ = await province_app.store.people.get_or_create(
            channel="telegram",
            external_id=str(n),
            chat_id=str(n),
            display_name=None,
            language="vi",
            now=province_app.clock.now(),
        )
        await province_app.store.people.grant_consent(
            person.id, version=CONSENT_VERSION, now=province_app.clock.now()
        )
    plan = await plan_broadcast(province_app.store, campaign, "youth")
    await start_broadcast(
        province_app.store, plan, "Thông báo toàn quốc", author_id=None, now=datetime.now(UTC)
    )
    api.enable_rate_limits(scale=1)  # Telegram's real limits: 30/s overall, 1/s per chat
    newcomers = range(9100, 9140)
    async with workers_for(api, tmp_path) as workers:
        a, b = await two_workers(workers)
        started = time.monotonic()
        # While both drain the broadcast, young people write to both: the replies share
        # the bot's 30 messages/s with the broadcast.
        statuses = await asyncio.gather(
            *(post(api, (a, b)[n % 2], say(api, n, "/start")) for n in newcomers)
        )
        await api.wait_for(
            lambda: {m["chat_id"] for m in api.sent_messages()} >= set(range(8000, 8000 + count)),
            60,
            what="every recipient reached",
        )
        elapsed = time.monotonic() - started
    assert statuses == [200] * len(newcomers)
    assert all(api.sent_messages(n) for n in newcomers), "everyone who wrote got a reply"
    chats = [m["chat_id"] for m in api.sent_messages() if m["text"] == "Thông báo toàn quốc"]
    assert sorted(chats) == list(range(8000, 8000 + count)), "each recipient once"
    limited = [
        (c.method, c.params.get("chat_id"), c.response) for c in api.calls if c.status == 429
    ]
    assert api.rate_limited_count == 0, f"no 429: the two workers shared 30 messages/s: {limited}"
    sent = len(api.sent_messages())
    assert elapsed >= sent / 30 * 0.8, "no faster than the bot's limit allows"
    senders = await province_app.store.db.fetchall(
        "SELECT claimed_by, count(*) AS n FROM outbox WHERE kind = 'broadcast' GROUP BY claimed_by"
    )
    assert len(senders) == 2, "both workers drained the outbox"


async def test_the_scheduler_lease_moves_to_the_survivor_of_a_kill_9(
    api: FakeTelegramAPI, province_app: App, campaign: Campaign, tmp_path: Path
) -> None:
    store = province_app.store
    async with workers_for(api, tmp_path) as workers:
        a, b = await two_workers(workers, lease=KILL_LEASE)
        deadline = time.monotonic() + 30
        while (holder := await store.coordination.holder(SCHEDULER_LEASE)) is None:
            assert time.monotonic() < deadline, "nobody took the scheduler's lease"
            await asyncio.sleep(0.2)
        pids = {str(w.process.pid): w for w in (a, b)}
        leader = next(w for pid, w in pids.items() if f":{pid}:" in holder)
        survivor = b if leader is a else a
        # A draft left for days: the next tick (the leader's) clears it.
        person, _ = await store.people.get_or_create(
            channel="telegram",
            external_id="9001",
            chat_id="9001",
            display_name=None,
            language="vi",
            now=province_app.clock.now(),
        )
        old = datetime.now(UTC) - timedelta(days=10)
        await store.conversations.save(
            Conversation(person.id, "text", 3, {"draft": {}}, old), now=old
        )
        leader.process.send_signal(signal.SIGKILL)
        leader.process.wait(10)
        killed = time.monotonic()
        while True:
            holder = await store.coordination.holder(SCHEDULER_LEASE)
            if holder is not None and f":{survivor.process.pid}:" in holder:
                break
            assert time.monotonic() - killed < 60, survivor.tail()
            await asyncio.sleep(0.2)
        takeover = time.monotonic() - killed
        assert takeover < 60
        # The new leader ticks at once (it catches up), so the stale draft goes.
        while (conv := await store.conversations.get(person.id)) and conv.state != "idle":
            assert time.monotonic() - killed < 60, survivor.tail()
            await asyncio.sleep(0.2)
    assert "took the scheduler's lease" in survivor.log.read_text()
    assert f"lease {KILL_LEASE} s)" in survivor.log.read_text(), "the setting reached it"


# -- the pieces, in one process ---------------------------------------------------------


async def test_a_lease_is_held_by_one_worker_and_taken_over_when_it_expires(app: App) -> None:
    first = Worker(app.store, worker_id="w1", lease_ttl=0.6, dead_after=0.6)
    second = Worker(app.store, worker_id="w2", lease_ttl=0.6, dead_after=0.6)
    await first.beat()
    await second.beat()
    assert (first.leader, second.leader) == (True, False)
    await first.beat()  # renewing keeps it
    await second.beat()
    assert (first.leader, second.leader) == (True, False)
    await asyncio.sleep(0.8)  # the first worker is silent past its lease
    await second.beat()
    await first.beat()  # back, but the lease is taken
    assert (first.leader, second.leader) == (False, True)
    stop = asyncio.Event()
    stop.set()
    await second.run(stop)  # a clean stop leaves at once
    assert await app.store.coordination.holder(SCHEDULER_LEASE) is None


async def test_only_a_dead_workers_messages_in_flight_are_sent_again(app: App) -> None:
    now = app.clock.now()
    queued = [NewMessage(None, "telegram", str(n), "broadcast", "{}") for n in range(3)]
    await app.store.outbox.enqueue(queued, now=now)
    due = await app.store.outbox.due(now=now, channels=["telegram"], limit=10)
    live, dead = Worker(app.store, worker_id="live"), "dead-worker"
    await app.store.coordination.heartbeat("live")
    assert await app.store.outbox.claim(due[0].id, worker="live")
    assert await app.store.outbox.claim(due[1].id, worker=dead)
    assert not await app.store.outbox.claim(due[1].id, worker="live"), "claimed once"
    await live.beat()
    counts = await app.store.outbox.counts()
    assert counts == {"sending": 1, "pending": 2}
    progress = await app.store.db.fetchall("SELECT id, status, resent FROM outbox ORDER BY id")
    assert [(r["status"], r["resent"]) for r in progress] == [
        ("sending", 0),
        ("pending", 1),
        ("pending", 0),
    ]


async def test_a_shared_rate_holds_across_two_processes_worth_of_limiters(app: App) -> None:
    rate, seconds = 40.0, 1.5
    limiters = [SharedRate(app.store, "test", rate) for _ in range(2)]
    stamps: list[float] = []

    async def spend(limiter: SharedRate) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            await limiter.acquire()
            stamps.append(time.monotonic())

    await asyncio.gather(*(spend(limiter) for limiter in limiters))
    stamps.sort()
    # No one-second window holds more than the rate plus one trip's tokens.
    chunk = 4
    worst = max(sum(1 for t in stamps[i:] if t < start + 1.0) for i, start in enumerate(stamps))
    assert worst <= rate + chunk
    assert len(stamps) >= rate * seconds * 0.8, "and the rate is used, not starved"


async def test_coordination_is_refused_on_sqlite(tmp_path: Path) -> None:
    from storage import StorageError, Store

    async with await Store.open(tmp_path / "one.db") as store:
        assert store.db.shared is False
        with pytest.raises(StorageError, match="needs PostgreSQL"):
            await store.coordination.heartbeat("w")


async def test_a_stopped_or_dead_workers_replies_are_taken_over_whole_chats_in_order(
    app: App,
) -> None:
    store = app.store
    now = app.clock.now()

    async def stored(worker: str, chat: str, body: str) -> int:
        store.replies.worker = worker
        async with store.transaction():
            row = await store.replies.add("telegram", chat, chat, body, now=now)
        return row.id

    dead_1 = await stored("dead", "1", "first")
    dead_2 = await stored("dead", "1", "second")
    await stored("dead", "2", "older, of a chat a live worker now serves")
    await stored("live", "2", "newer")
    await stored("live", "3", "the live worker's own")
    gone = await stored("gone", "4", "never tried at a clean stop")
    store.replies.worker = "gone"
    await store.replies.release([gone], leaving=True)
    await store.replies.release([dead_1])  # a running worker keeps its claims
    await store.coordination.heartbeat("live")
    store.replies.worker = "taker"
    live = await store.coordination.live(within=15)
    taken = await store.replies.recover("telegram", live_workers=live)
    assert [(r.id, r.chat_id, r.resent) for r in taken] == [
        (dead_1, "1", True),
        (dead_2, "1", True),
        (gone, "4", False),
    ], "a dead worker's rows may have gone out; a stopped worker's untried ones did not"
    assert dead_1 < dead_2 < gone, "ids follow the order rows were stored in"
    assert await store.replies.recover("telegram", live_workers=live) == [], "taken once"
    assert await store.replies.waiting("telegram") == 6


async def test_replies_waiting_on_a_worker_killed_with_kill_9_reach_everyone(
    api: FakeTelegramAPI, province_app: App, campaign: Campaign, tmp_path: Path
) -> None:
    users = range(7100, 7112)
    async with workers_for(api, tmp_path) as workers:
        a, b = await two_workers(workers, lease=KILL_LEASE)
        # Telegram fails every send for a while: worker a stores its replies and retries.
        api.fail_during(4.0)
        statuses = await asyncio.gather(*(post(api, a, say(api, n, "/start")) for n in users))
        assert statuses == [200] * len(users)
        waiting = await province_app.store.replies.waiting("telegram")
        assert waiting == len(users), "each reply is stored before the webhook answers"
        a.process.send_signal(signal.SIGKILL)
        a.process.wait(10)
        # The survivor takes a's replies over once a is silent (KILL_LEASE), at its next beat.
        await api.wait_for(
            lambda: all(api.sent_messages(n) for n in users),
            60,
            what=f"every person's reply, sent by the survivor:\n{b.tail()}",
        )
        assert "left by a stopped worker" in b.tail()
    for n in users:
        welcome = [m for m in api.sent_messages(n) if "đồng ý" in m["text"].lower()]
        assert len(welcome) == 1, f"chat {n}: {api.sent_texts(n)}"
    assert await province_app.store.replies.waiting("telegram") == 0
