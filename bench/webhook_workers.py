"""Webhook throughput with 1 and 2 workers on PostgreSQL beside 1 worker on SQLite, a
worker killed with kill -9 under load, and the scheduler's failover time.

Each configuration starts real ``youthbot run --channel telegram`` processes in webhook
mode on a fresh database (Cao Bằng's units and an open campaign), the fake Bot API
(``tests/fakes/telegram_api.py``) in a process of its own takes the bot's sends, and
simulated young people post real webhook requests (HTTP, with the secret token), spread
round-robin over the workers as a reverse proxy would. Each person goes through the
whole question flow by typing (``/start``, ``1`` for consent, a commune, ``1``, a name, a
category, a topic, their own question, ``Gửi`` twice), one update at a time, waiting for the
bot's answer before the next, as a person waits for the bot: the 200 (which the webhook
gives at commit), then the reply itself (the first message the fake Bot API takes for the
person's chat after the post, then ``SETTLE`` seconds without more). An update whose post
fails (a killed worker) is posted again, the same update, to the next worker, as Telegram
retries. Afterwards every person must have exactly one question.

Replies: a person who sees no answer for ``GIVE_UP`` seconds stops there (facing a silent
bot). After the last person, the run waits ``--settle`` seconds (the kill run: a survivor
takes over a dead worker's undelivered replies at its heartbeat, within about 20 s), then
counts the people left without an answer to their last update ("silent"), those without
the receipt ("Mã câu hỏi"), the messages delivered twice to a chat (the same text again)
and how many of those the workers' logs name as resent ("reply N sent again to chat
***1234; it may have arrived twice", logged at INFO: the kill run's workers log at INFO),
and the rows left in ``reply_outbox``.

    .venv/bin/python bench/webhook_workers.py [--people 300] [--concurrency 60]
        [--configs sqlite:1,postgresql:1,postgresql:2] [--kill] [--failovers 3] [--settle 45]

PostgreSQL is a throw-away server from Debian's binaries (tests/pg.py), on a unix socket,
with durability off like the tests (fsync=off): the figures measure the bot, not a disk.
``TELEGRAM_MAX_MESSAGES_PER_SECOND=1000`` lifts the sending limit (as a self-hosted Bot
API server allows) so the processing, not Telegram's 30 messages/s, is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import multiprocessing
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("PTB_TIMEDELTA", "true")

import aiohttp
import httpx

TOKEN = "123456789:AAH-youthbot_bench_token_0123456789abcdef"
SECRET = "bench-webhook-secret"
GIVE_UP = 60.0
"""Seconds a person waits for an answer before giving up (left facing a silent bot)."""
SETTLE = 0.3
"""Seconds without a further message after which a person takes the answer as complete
(each step of this flow is answered by one message; the bot paces a chat's messages 1 s
apart, so a longer answer's second message would come after this and count as the next
step's answer: the final check below does not rely on this)."""
RECEIPT = "Mã câu hỏi"
UNITS = ("thuc phan", "Đàm Thủy", "hoa an", "quảng uyên", "trà lĩnh", "Nùng Trí Cao")
SURNAMES = ("Nông", "Hoàng", "Lò", "Bế", "Đàm", "Nguyễn", "Lương", "Triệu")
MIDDLES = ("Thị", "Văn", "Minh", "Thu", "Đức", "Hồng")
GIVEN = ("Hoa", "Lan", "Đức", "Mai", "Tùng", "Nga", "Hải", "Linh", "Phúc", "Yến", "Sơn")
WORDS = [
    "đường",
    "giao",
    "thông",
    "thôn",
    "bản",
    "xuống",
    "cấp",
    "mùa",
    "mưa",
    "học",
    "sinh",
    "đi",
    "lại",
    "khó",
    "khăn",
    "xin",
    "tỉnh",
    "hỗ",
    "trợ",
    "vốn",
    "vay",
    "ưu",
    "đãi",
    "khởi",
    "nghiệp",
    "nuôi",
    "trồng",
    "dược",
    "liệu",
    "đào",
    "tạo",
    "nghề",
    "cho",
    "thanh",
    "niên",
    "dân",
    "tộc",
    "thiểu",
    "số",
    "wifi",
    "miễn",
    "phí",
    "nhà",
    "văn",
    "hóa",
    "sân",
    "bóng",
    "chợ",
    "phiên",
    "du",
    "lịch",
    "cộng",
    "đồng",
    "xuất",
    "khẩu",
    "lao",
    "động",
    "giá",
    "phân",
    "bón",
    "thu",
    "mua",
    "nông",
    "sản",
    "học",
    "bổng",
    "sinh",
    "viên",
    "nghèo",
    "trạm",
    "y",
    "tế",
    "điện",
    "sinh",
    "hoạt",
]


def question_text(n: int) -> str:
    """A different question for each person (so the flow never stops at a look-alike)."""
    rng = __import__("random").Random(n)
    return " ".join(rng.sample(WORDS, 14)).capitalize() + "?"


def script(n: int) -> list[str]:
    return [
        "/start",
        "1",
        UNITS[n % len(UNITS)],
        "1",
        f"{SURNAMES[n % 8]} {MIDDLES[n % 6]} {GIVEN[n % 11]}",
        str(1 + n % 3),  # category, as the number of the option
        str(1 + n % 4),  # topic group
        question_text(n),
        "Gửi",
        # When look-alike questions were shown, the first "Gửi" chose "send mine" and
        # this one sends; otherwise it is a stray word after sending (nothing is stored).
        "Gửi",
    ]


# -- the fake Bot API, in a process of its own ----------------------------------------------


def fake_api_process(conn: Connection, events: Connection) -> None:
    """The fake Bot API; every message it takes (a new one, or an edit of a text) goes to
    ``events`` as ``(chat, time.monotonic(), edit, text)``, for the simulated people to
    see (monotonic time is the machine's, the same in every process)."""
    from tests.fakes.telegram_api import FakeTelegramAPI

    class Recording(FakeTelegramAPI):
        def _bot_message(self, chat: Any, extra: Any, reply_markup: Any) -> Any:
            message = super()._bot_message(chat, extra, reply_markup)
            text = message.get("text") or message.get("caption") or ""
            events.send((chat, time.monotonic(), False, str(text)))
            return message

        def _edit_message_text(self, params: Any, files: Any) -> Any:
            message = super()._edit_message_text(params, files)
            events.send((message["chat"]["id"], time.monotonic(), True, str(params.get("text"))))
            return message

    async def serve() -> None:
        async with Recording(token=TOKEN) as api:
            conn.send((api.bot_url, api.file_url))
            await asyncio.to_thread(conn.recv)  # any message: stop
            sends = sum(1 for c in api.calls if c.method in ("sendMessage", "editMessageText"))
            conn.send({"messages": sends, "calls": len(api.calls)})
        events.send(None)

    asyncio.run(serve())


@dataclass
class Shown:
    """One message a chat was shown (a new one or an edit), as the fake Bot API took it."""

    at: float
    edit: bool
    text: str


class Chats:
    """What each chat was shown, fed from the fake Bot API's process by a thread."""

    def __init__(self, events: Connection, loop: asyncio.AbstractEventLoop) -> None:
        self.shown: dict[int, list[Shown]] = {}
        self._changed: dict[int, asyncio.Event] = {}
        self._events = events
        self._loop = loop
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def changed(self, chat: int) -> asyncio.Event:
        return self._changed.setdefault(chat, asyncio.Event())

    def _read(self) -> None:
        while True:
            try:
                item = self._events.recv()
            except (EOFError, OSError):
                return
            if item is None:
                return
            self._loop.call_soon_threadsafe(self._record, item)

    def _record(self, item: tuple[Any, float, bool, str]) -> None:
        chat, at, edit, text = item
        if isinstance(chat, int):
            self.shown.setdefault(chat, []).append(Shown(at, edit, text))
            self.changed(chat).set()

    def join(self) -> None:
        self._thread.join(10)


# -- workers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Worker:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram/webhook"


def start_worker(
    db: str, api: tuple[str, str], folder: Path, index: int, *, log_level: str = "WARNING"
) -> Worker:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YOUTHBOT_", "TELEGRAM_"))}
    env.update(
        YOUTHBOT_DB=db,
        YOUTHBOT_LOG_LEVEL=log_level,
        YOUTHBOT_WEB_HOST="127.0.0.1",
        YOUTHBOT_WEB_PORT=str(port),
        YOUTHBOT_QUESTIONS_PER_HOUR="1000",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api[0],
        TELEGRAM_FILE_BASE_URL=api[1],
        TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook",
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_MAX_MESSAGES_PER_SECOND="1000",
        PTB_TIMEDELTA="true",
    )
    log = folder / f"worker-{index}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--channel", "telegram"],
            env=env,
            cwd=folder,
            stdout=out,
            stderr=out,
        )
    return Worker(port, process, log)


async def wait_ready(worker: Worker) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if worker.process.poll() is not None:
                raise RuntimeError(worker.log.read_text()[-2000:])
            try:
                response = await client.get(f"http://127.0.0.1:{worker.port}/healthz")
                if response.status_code == 200 and response.json()["channels"].get("telegram"):
                    return
            except (httpx.HTTPError, ValueError):
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("worker not ready: " + worker.log.read_text()[-2000:])


def stop(workers: list[Worker]) -> None:
    for worker in workers:
        if worker.process.poll() is None:
            worker.process.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.process.wait(40)
        except subprocess.TimeoutExpired:
            worker.process.kill()


# -- one run ----------------------------------------------------------------------------


@dataclass
class Result:
    label: str
    updates: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    retried: int = 0
    committed_before_kill: int = 0
    questions: int = 0
    people_with_one: int = 0
    doubled: int = 0
    killed_at: int | None = None
    messages: int = 0
    workers_cpu: float = 0.0
    postgres_cpu: float = 0.0
    driver_cpu: float = 0.0
    # replies (see the module docstring)
    people: int = 0
    reply_waits: list[float] = field(default_factory=list)
    gave_up: int = 0
    silent: list[int] = field(default_factory=list)
    without_receipt: int = 0
    duplicates: int = 0
    duplicates_in_a_row: int = 0
    duplicate_chats: int = 0
    duplicate_examples: list[str] = field(default_factory=list)
    marked: int = 0
    resend_lines: int = 0
    takeover_lines: list[str] = field(default_factory=list)
    outbox_after_settle: int = -1
    outbox_after_stop: int = -1
    settle: float = 0.0


async def prepare(db: str) -> None:
    from bot.application.app import App
    from bot.application.config import Settings
    from bot.campaign.setup import create_campaign
    from bot.campaign.units import province_units

    os.environ["YOUTHBOT_DB"] = db
    async with await App.open(Settings(env_file=None)) as app:
        await app.store.units.upsert_many(province_units("cao_bang"), now=app.clock.now())
        today = datetime.now(UTC).date()
        await create_campaign(app, title="Đối thoại (bench)", dialogue=today + timedelta(days=40))


async def count_questions(db: str) -> tuple[int, int, int]:
    from storage.db import Database

    async with await Database.open(db) as database:
        rows = await database.fetchall(
            "SELECT person_id, count(*) AS n FROM questions GROUP BY person_id"
        )
    total = sum(int(r["n"]) for r in rows)
    return total, sum(1 for r in rows if r["n"] == 1), sum(1 for r in rows if r["n"] > 1)


async def reply_rows(db: str) -> int:
    from storage.db import Database

    async with await Database.open(db) as database:
        return int(await database.fetchval("SELECT count(*) FROM reply_outbox"))


async def was_processed(db: Any, update_id: int) -> bool:
    value = await db.fetchval(
        "SELECT 1 FROM processed_updates WHERE channel = 'telegram' AND update_id = ?",
        (str(update_id),),
    )
    return value is not None


async def drive(
    label: str,
    db: str,
    workers: list[Worker],
    chats: Chats,
    *,
    first_chat: int,
    people: int,
    concurrency: int,
    kill_after: int | None,
    settle: float,
) -> Result:
    from storage.db import Database

    result = Result(label, people=people)
    last_post: dict[int, float] = {}
    ids = itertools.count(1)
    turn = itertools.count()
    live = list(workers)
    limit = asyncio.Semaphore(concurrency)
    total = people * len(script(0))
    probe = await Database.open(db)

    async def post(client: aiohttp.ClientSession, user: int, text: str) -> None:
        update = {
            "update_id": next(ids),
            "message": {
                "message_id": next(ids),
                "date": int(time.time()),
                "chat": {"id": user, "type": "private", "first_name": "Bạn"},
                "from": {"id": user, "is_bot": False, "first_name": "Bạn", "language_code": "vi"},
                "text": text,
                **(
                    {"entities": [{"type": "bot_command", "offset": 0, "length": len(text)}]}
                    if text.startswith("/")
                    else {}
                ),
            },
        }
        started = time.perf_counter()
        attempt = 0
        while True:
            worker = live[next(turn) % len(live)]
            try:
                async with client.post(
                    worker.url,
                    data=json.dumps(update),
                    headers={
                        "X-Telegram-Bot-Api-Secret-Token": SECRET,
                        "Content-Type": "application/json",
                    },
                ) as response:
                    await response.read()
                    if response.status == 200:
                        break
            except (aiohttp.ClientError, TimeoutError):
                pass
            attempt += 1
            if attempt == 1:
                result.retried += 1
                if await was_processed(probe, update["update_id"]):
                    result.committed_before_kill += 1
            if attempt > 50:
                raise RuntimeError(f"update {update['update_id']} never accepted")
            await asyncio.sleep(0.2)
        result.latencies.append(time.perf_counter() - started)
        result.updates += 1
        if kill_after is not None and result.updates == kill_after and result.killed_at is None:
            result.killed_at = result.updates
            victim = live[0]
            victim.process.send_signal(signal.SIGKILL)
            live.remove(victim)

    async def step(client: aiohttp.ClientSession, chat: int, text: str) -> bool:
        """Post one update and wait for the bot's answer, as a person does; False when
        none came within GIVE_UP seconds."""
        shown = chats.shown.setdefault(chat, [])
        mark = len(shown)
        started = last_post[chat] = time.monotonic()
        await post(client, chat, text)
        event = chats.changed(chat)
        while len(shown) == mark:
            waited = time.monotonic() - started
            if waited >= GIVE_UP:
                return False
            event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), GIVE_UP - waited)
        result.reply_waits.append(shown[mark].at - started)
        while (quiet := time.monotonic() - shown[-1].at) < SETTLE:  # the rest of the answer
            event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), SETTLE - quiet + 0.01)
        return True

    async def person(client: aiohttp.ClientSession, n: int) -> None:
        async with limit:
            for text in script(n):
                if not await step(client, first_chat + n, text):
                    result.gave_up += 1  # facing a silent bot: no further step
                    return

    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    timeout = aiohttp.ClientTimeout(total=30.0)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
        started = time.perf_counter()
        pg_before = postgres_cpu()
        driver_before = time.process_time()
        await asyncio.gather(*(person(client, n) for n in range(people)))
        result.elapsed = time.perf_counter() - started
        result.postgres_cpu = postgres_cpu() - pg_before
        result.driver_cpu = time.process_time() - driver_before
    await probe.close()
    assert result.updates == total or result.gave_up
    result.questions, result.people_with_one, result.doubled = await count_questions(db)
    # Replies: what arrives within the settle time (a survivor's take-over, duplicates).
    result.settle = settle
    await asyncio.sleep(settle)
    result.outbox_after_settle = await reply_rows(db)
    check_replies(result, chats, last_post, first_chat)
    return result


def check_replies(
    result: Result, chats: Chats, last_post: dict[int, float], first_chat: int
) -> None:
    """Silent people, receipts and duplicates, from what each chat was shown."""
    for n in range(result.people):
        chat = first_chat + n
        shown = chats.shown.get(chat, [])
        posted = last_post.get(chat, float("inf"))
        before = {s.text for s in shown if s.at <= posted}
        # An answer to the last update: a message after it that is not an earlier one again.
        if not any(s.at > posted and s.text not in before for s in shown):
            result.silent.append(chat)
        if not any(RECEIPT in s.text for s in shown):
            result.without_receipt += 1
        sent = [s.text for s in shown if not s.edit]
        again = sum(k - 1 for k in Counter(sent).values() if k > 1)
        result.duplicates += again
        result.duplicate_chats += again > 0
        if again and len(result.duplicate_examples) < 5:
            # Where the copies fell among the chat's messages (1 = the first message).
            repeated = {t for t, k in Counter(sent).items() if k > 1}
            places = [i + 1 for i, t in enumerate(sent) if t in repeated]
            text = next(iter(repeated))
            result.duplicate_examples.append(
                f"chat {chat}: {text[:40]!r}... as messages {places} of {len(sent)}"
            )
        result.duplicates_in_a_row += sum(1 for a, b in itertools.pairwise(sent) if a == b)


def postgres_cpu() -> float:
    """CPU seconds used so far by the PostgreSQL server's processes (those of the user it
    runs as; the bench's own server is the only one)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    total += cpu_of(int(entry.name))
            except OSError:
                continue
    return total


def cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_config(
    kind: str,
    count: int,
    api: tuple[str, str],
    server: Any,
    folder: Path,
    args: argparse.Namespace,
    chats: Chats,
    first_chat: int,
    *,
    kill: bool,
) -> Result:
    if kind == "sqlite":
        db = str(folder / f"bench-{time.monotonic_ns()}.db")
    else:
        db = await server.create_database()
    await prepare(db)
    level = "INFO" if kill else "WARNING"  # INFO: the "sent again" lines
    start = time.monotonic_ns()
    workers = [start_worker(db, api, folder, start + i, log_level=level) for i in range(count)]
    try:
        await asyncio.gather(*(wait_ready(w) for w in workers))
        total = args.people * len(script(0))
        label = f"{kind} x{count}" + (" kill -9" if kill else "")
        result = await drive(
            label,
            db,
            workers,
            chats,
            first_chat=first_chat,
            people=args.people,
            concurrency=args.concurrency,
            kill_after=int(total * 0.4) if kill else None,
            settle=args.settle if kill else 2.0,
        )
        result.workers_cpu = sum(cpu_of(w.process.pid) for w in workers)
    finally:
        stop(workers)
    result.outbox_after_stop = await reply_rows(db)
    marks: Counter[str] = Counter()
    for worker in workers:
        text = worker.log.read_text(errors="replace")
        marks.update(SENT_AGAIN.findall(text))
        result.takeover_lines += [
            line.split(": ", 1)[-1] for line in text.splitlines() if "stored repl" in line
        ]
    result.resend_lines = sum(marks.values())
    for n in range(args.people):
        sent = [s.text for s in chats.shown.get(first_chat + n, []) if not s.edit]
        again = sum(k - 1 for k in Counter(sent).values() if k > 1)
        result.marked += min(again, marks[str(first_chat + n)[-4:]])
    return result


SENT_AGAIN = re.compile(r"sent again to chat \*+(\d{4})")


async def failover(api: tuple[str, str], server: Any, folder: Path) -> float:
    """Seconds from kill -9 of the scheduler's lease holder to the survivor holding it."""
    from storage import Store

    db = await server.create_database()
    await prepare(db)
    workers = [start_worker(db, api, folder, 90 + i) for i in range(2)]
    try:
        await asyncio.gather(*(wait_ready(w) for w in workers))
        async with await Store.open(db) as store:
            while (holder := await store.coordination.holder("scheduler")) is None:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
            leader = next(w for w in workers if f":{w.process.pid}:" in holder)
            survivor = next(w for w in workers if w is not leader)
            leader.process.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            while True:
                holder = await store.coordination.holder("scheduler")
                if holder is not None and f":{survivor.process.pid}:" in holder:
                    return time.monotonic() - killed
                await asyncio.sleep(0.05)
    finally:
        stop(workers)


def report(result: Result) -> None:
    q = statistics.quantiles(result.latencies, n=100)
    rate = result.updates / result.elapsed
    print(
        f"{result.label:<22} {result.updates:>6} updates in {result.elapsed:6.1f} s = "
        f"{rate:7.1f} updates/s; latency p50 {q[49] * 1000:5.0f} ms p99 {q[98] * 1000:6.0f} ms; "
        f"CPU: workers {result.workers_cpu:5.1f} s ({result.updates / max(result.workers_cpu, 0.01):.0f} "
        f"updates per worker CPU-second), PostgreSQL {result.postgres_cpu:4.1f} s, "
        f"simulated people {result.driver_cpu:4.1f} s; questions {result.questions} "
        f"(people with exactly one: {result.people_with_one}, doubled: {result.doubled})"
    )
    if result.killed_at is not None:
        print(
            f"{'':<22} killed worker 1 after {result.killed_at} updates; {result.retried} posts "
            f"retried on the survivor, {result.committed_before_kill} of them already stored by "
            "the killed worker (handled once; their replies are in the reply outbox)"
        )
    w = statistics.quantiles(result.reply_waits, n=100) if len(result.reply_waits) > 1 else []
    waits = (
        f"p50 {w[49]:.2f} s, p99 {w[98]:.2f} s, max {max(result.reply_waits):.2f} s"
        if w
        else "none"
    )
    print(
        f"{'':<22} replies: {result.people} people, silent (no answer to their last update "
        f"{result.settle:g} s after the last person): {len(result.silent)}; gave up waiting "
        f"(> {GIVE_UP:g} s for an answer): {result.gave_up}; without the receipt: "
        f"{result.without_receipt}; wait from post to answer {waits}"
    )
    print(
        f"{'':<22} delivered twice: {result.duplicates} messages in {result.duplicate_chats} "
        f"chats ({result.duplicates_in_a_row} right after their first copy), named by a "
        f"worker's resend line: {result.marked} ({result.resend_lines} resend lines); "
        f"reply_outbox rows left: {result.outbox_after_settle} after the settle, "
        f"{result.outbox_after_stop} after the stop"
    )
    for line in result.duplicate_examples:
        print(f"{'':<22} delivered twice: {line}")
    for line in result.takeover_lines:
        print(f"{'':<22} worker log: {line[:160]}")
    if result.silent:
        print(f"{'':<22} silent chats (first 10): {result.silent[:10]}")


async def main_async(args: argparse.Namespace) -> int:
    from tests.pg import find_bindir, running_server

    bindir = find_bindir()
    if bindir is None:
        print("no PostgreSQL binaries: apt-get install postgresql")
        return 1
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    events_in, events_out = context.Pipe(duplex=False)
    fake = context.Process(target=fake_api_process, args=(child, events_out), daemon=True)
    fake.start()
    chats = Chats(events_in, asyncio.get_running_loop())
    api = await asyncio.to_thread(parent.recv)
    runs = itertools.count(1)  # each run's people have chats of their own
    failed = False
    with running_server(bindir) as server, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        await server.prepare_template()
        results = []
        for _ in range(args.rounds):
            for config in filter(None, args.configs.split(",")):
                kind, count = config.split(":")
                result = await run_config(
                    kind, int(count), api, server, folder, args, chats, first_chat(runs), kill=False
                )
                report(result)
                results.append(result)
                failed |= result.people_with_one != args.people or bool(result.silent)
        if args.kill:
            result = await run_config(
                "postgresql", 2, api, server, folder, args, chats, first_chat(runs), kill=True
            )
            report(result)
            failed |= (
                result.people_with_one != args.people
                or result.doubled > 0
                or bool(result.silent)
                or result.marked < result.duplicates
                or result.outbox_after_settle != 0
            )
        times = [await failover(api, server, folder) for _ in range(args.failovers)]
        if times:
            print(
                "scheduler failover (kill -9 of the lease holder -> the survivor holds it): "
                + ", ".join(f"{t:.1f} s" for t in times)
            )
            failed |= max(times) >= 60
    parent.send("stop")
    summary = await asyncio.to_thread(parent.recv)
    print(f"fake Bot API: {summary['messages']} messages sent or edited, {summary['calls']} calls")
    fake.join(10)
    chats.join()
    return 1 if failed else 0


def first_chat(runs: Iterator[int]) -> int:
    """The first chat id of a run: 1,000,000 × the run's number, so that the last four
    digits (all a worker's log shows of a chat) are the person's number."""
    return 1_000_000 * next(runs)


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=60)
    parser.add_argument("--configs", default="sqlite:1,postgresql:1,postgresql:2")
    parser.add_argument("--rounds", type=int, default=1, help="repeat the configs, alternating")
    parser.add_argument("--kill", action="store_true", help="also kill -9 one of two workers")
    parser.add_argument("--failovers", type=int, default=3)
    parser.add_argument(
        "--settle",
        type=float,
        default=45.0,
        help="kill run: seconds to wait after the last person before counting replies",
    )
    args = parser.parse_args()
    load = os.getloadavg()
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    print(
        f"machine: {os.cpu_count()} CPUs (nproc), {platform.machine()}, "
        f"Python {platform.python_version()}, load average {load[0]:.1f} {load[1]:.1f} at start"
    )
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
