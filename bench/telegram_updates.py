"""Throughput of the Telegram channel: updates per second handled through long polling.

One process runs the bot as in production (``TelegramChannel`` polling, the real engine
from ``bot.application.wiring.build_engine``, a fresh SQLite file); a second process runs the fake Bot
API (``tests/fakes/telegram_api.py``) and the simulated young people, so the bot is
measured alone, as it would be against Telegram's servers.

Each simulated person behaves like a person: they send one update, wait until the bot has
handled it (the update is confirmed by getUpdates' offset, which means stored, and the
bot's answer has arrived and nothing more has come for ``--settle`` seconds), read what
the bot sent and act on it: ``/start`` (some through a unit's deep link), the buttons of the prompts they
were actually sent (consent, unit, category, topic, "similar question", send...) and
typed texts (unit names, their name, the question), then ``/hoi`` again or ``/cauhoi``.
Every person sends exactly ``--per-person`` updates.

    .venv/bin/python bench/telegram_updates.py [--people 1000] [--per-person 10] [--http httpx]
        [--settle 0.1] [--questions 100000] [--cold]

``--questions N`` stores N questions of realistic variety (``bench/corpus.py``) before the
bot starts; the similar-question index is then built before the channel starts, as
``youthbot run`` does, unless ``--cold`` (the first question pays for it, as before).

``--http httpx`` runs PTB's own HTTPXRequest instead of the adapter's aiohttp transport.
The exit status is 1 when the rate is under the target or anything failed.

Target: at least 500 updates/s. Telegram itself lets a bot send about 30 messages/s, so
in production the sending side, not this processing capacity, bounds a burst: the bench
turns the adapter's pacing off (and the fake enforces no flood limits) to measure what
the adapter and the engine can process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import heapq
import multiprocessing
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

# --root runs the bench against another source tree (the code before a change, say); the
# spawned fake process finds it through YOUTHBOT_BENCH_ROOT.
ROOT = Path(os.environ.get("YOUTHBOT_BENCH_ROOT", Path(__file__).resolve().parents[1]))
if "--root" in sys.argv:
    at = sys.argv.index("--root")
    ROOT = Path(sys.argv[at + 1]).resolve()
    os.environ["YOUTHBOT_BENCH_ROOT"] = str(ROOT)
    del sys.argv[at : at + 2]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("PTB_TIMEDELTA", "true")

TOKEN = "123456789:AAH-youthbot_bench_token_0123456789abcdef"

UNIT_QUERIES = ("thuc phan", "Đàm Thủy", "hoa an", "Nùng Trí Cao", "quảng uyên", "trà lĩnh")
NAMES = (
    "Nông Thị Hoa",
    "Lò Văn Lan",
    "Hoàng Minh Đức",
    "Nguyễn Thu Trang",
    "Bế Văn Tùng",
    "Lục Thị Mai",
    "Đàm Quang Huy",
    "Triệu Thị Hương",
)
QUESTIONS = (
    "Tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp?",
    "Khi nào xã em có wifi miễn phí ở nhà văn hóa cho thanh niên học tập?",
    "Thanh niên khởi nghiệp nuôi trồng ở vùng cao có được vay vốn ưu đãi không?",
    "Em muốn hỏi về kế hoạch sửa đường liên xã bị sạt lở sau mùa mưa năm nay.",
    "Tỉnh có kế hoạch đào tạo nghề miễn phí cho thanh niên xuất ngũ không ạ?",
    "Làm sao để thanh niên dân tộc thiểu số được học tiếng Anh và tin học miễn phí?",
    "Sân chơi thể thao cho thanh niên ở thị trấn khi nào được xây dựng?",
    "Xin hỏi về chính sách thu hút sinh viên giỏi về công tác tại quê hương.",
)


# --------------------------------------------------------------------------------------------
# The fake Bot API and the simulated people (second process)
# --------------------------------------------------------------------------------------------


@dataclass
class Seen:
    """What the bot showed in one chat: texts and the latest buttons' payloads."""

    texts: list[str] = field(default_factory=list)
    payloads: list[str] = field(default_factory=list)
    prompt_id: int | None = None


def make_fake() -> Any:
    from tests.fakes.telegram_api import FakeTelegramAPI

    class ObservedFake(FakeTelegramAPI):
        """Tells each simulated person when their update was confirmed and what they saw."""

        def __init__(self) -> None:
            super().__init__(token=TOKEN)
            self.confirmed = 0
            self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
            self._order = 0
            self.seen: dict[int, Seen] = {}
            self.last_reply: dict[int, float] = {}
            self._replied: dict[int, asyncio.Event] = {}

        async def reaction(self, chat: int, *, since: float, settle: float) -> float:
            """When the bot's answer to an update pushed at ``since`` ended: a message or
            an edit arrived after it, then nothing for ``settle`` seconds."""
            deadline = since + 60.0
            while True:
                last = self.last_reply.get(chat, 0.0)
                now = time.perf_counter()
                if last >= since and now - last >= settle:
                    return last
                if now > deadline:
                    raise TimeoutError(f"no answer in chat {chat} for 60 s")
                event = self._replied.setdefault(chat, asyncio.Event())
                event.clear()
                wait = settle - (now - last) if last >= since else deadline - now
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), wait)

        def confirmation(self, update_id: int) -> asyncio.Future[None]:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            if update_id <= self.confirmed:
                future.set_result(None)
            else:
                self._order += 1
                heapq.heappush(self._waiting, (update_id, self._order, future))
            return future

        async def _get_updates(self, params: dict[str, Any], files: Any) -> Any:
            offset = int(params.get("offset") or 0)
            if offset - 1 > self.confirmed:
                self.confirmed = offset - 1
                while self._waiting and self._waiting[0][0] <= self.confirmed:
                    _, _, future = heapq.heappop(self._waiting)
                    if not future.done():
                        future.set_result(None)
            return await super()._get_updates(params, files)

        def _observe(self, chat: Any, message: dict[str, Any], markup: Any) -> None:
            if not isinstance(chat, int) or chat < 0:
                return
            self.last_reply[chat] = time.perf_counter()
            event = self._replied.get(chat)
            if event is not None:
                event.set()
            seen = self.seen.setdefault(chat, Seen())
            seen.texts.append(str(message.get("text") or ""))
            rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
            payloads = [
                b["callback_data"] for row in rows or [] for b in row if "callback_data" in b
            ]
            if payloads:
                seen.payloads = payloads
                seen.prompt_id = message["message_id"]

        def _bot_message(self, chat: Any, extra: Any, reply_markup: Any) -> Any:
            message = super()._bot_message(chat, extra, reply_markup)
            self._observe(chat, message, reply_markup)
            return message

        def _edit_message_text(self, params: dict[str, Any], files: Any) -> Any:
            message = super()._edit_message_text(params, files)
            self._observe(message["chat"]["id"], message, params.get("reply_markup"))
            return message

    return ObservedFake()


class Simulated:
    """One young person following the bot's prompts."""

    def __init__(
        self, fake: Any, user_id: int, budget: int, rng: random.Random, settle: float
    ) -> None:
        self.fake = fake
        self.settle = settle
        self.user_id = user_id
        self.budget = budget
        self.rng = rng
        self.latencies: list[float] = []
        self.actions: Counter[str] = Counter()

    async def send(self, kind: str, push: Any) -> None:
        seen = self.fake.seen.setdefault(self.user_id, Seen())
        seen.texts.clear()
        seen.payloads = []
        started = time.perf_counter()
        update = push()
        await self.fake.confirmation(update["update_id"])
        answered = await self.fake.reaction(self.user_id, since=started, settle=self.settle)
        self.latencies.append(answered - started)
        self.actions[kind] += 1
        self.budget -= 1

    def say(self, text: str) -> Any:
        return lambda: self.fake.push_message(self.user_id, text, first_name="Bench")

    def press(self, payload: str, message_id: int | None) -> Any:
        return lambda: self.fake.push_callback(self.user_id, payload, message_id=message_id)

    def choose(self, payloads: list[str], action: str) -> str | None:
        found = [p for p in payloads if p.split(".")[1] == action]
        return self.rng.choice(found) if found else None

    async def run(self) -> None:
        rng = self.rng
        first = "/start u-w01273" if rng.random() < 0.3 else "/start"
        await self.send("command", self.say(first))
        while self.budget > 0:
            seen: Seen = self.fake.seen.get(self.user_id, Seen())
            text = "\n".join(seen.texts)
            payloads = list(seen.payloads)
            actions = {p.split(".")[1] for p in payloads if "." in p}
            press = None
            for wanted in ("cy", "ud", "up", "tp", "ps", "cp"):
                if wanted in actions:
                    press = self.choose(payloads, wanted)
                    break
            if press is None and actions & {"ct", "cs"}:
                press = self.choose(payloads, "cs" if rng.random() < 0.3 else "ct")
            if press is None and actions & {"ss", "sm"}:
                press = self.choose(payloads, "ss" if rng.random() < 0.3 else "sm")
            if press is None and "na" in actions:
                if rng.random() < 0.2:
                    press = self.choose(payloads, "na")
                else:
                    await self.send("text", self.say(rng.choice(NAMES)))
                    continue
            if press is None and "ns" in actions:
                press = self.choose(payloads, "ns")
            if press is not None:
                await self.send("button", self.press(press, seen.prompt_id))
            elif "Gõ tên xã, phường" in text:
                await self.send("text", self.say(rng.choice(UNIT_QUERIES)))
            elif "viết câu hỏi" in text:
                await self.send("text", self.say(rng.choice(QUESTIONS)))
            else:  # idle after a receipt (or anything unexpected): ask again or look back
                command = "/cauhoi" if rng.random() < 0.3 else "/hoi"
                await self.send("command", self.say(command))


async def simulate(
    conn: Connection, people: int, per_person: int, seed: int, settle: float
) -> None:
    fake = make_fake()
    await fake.start()
    conn.send(("ready", fake.bot_url, fake.file_url))
    assert await asyncio.to_thread(conn.recv) == "go"
    rng = random.Random(seed)
    persons = [
        Simulated(fake, 10_000 + i, per_person, random.Random(rng.random()), settle)
        for i in range(people)
    ]
    cpu = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(person.run() for person in persons))
    # The last answers were complete ``settle`` seconds before the last person noticed.
    elapsed = max(fake.last_reply.values()) - started
    latencies = sorted(x for p in persons for x in p.latencies)
    actions: Counter[str] = Counter()
    for person in persons:
        actions.update(person.actions)
    calls = Counter(call.method for call in fake.calls)
    statuses = Counter(call.status or 0 for call in fake.calls)
    conn.send(
        {
            "elapsed": elapsed,
            "updates": len(latencies),
            "latencies": latencies,
            "actions": dict(actions),
            "calls": dict(calls),
            "statuses": dict(statuses),
            "fake_cpu": time.process_time() - cpu,
            "fake_errors": [repr(e) for e in fake.errors],
        }
    )
    assert await asyncio.to_thread(conn.recv) == "stop"
    await fake.close()


def fake_process(conn: Connection, people: int, per_person: int, seed: int, settle: float) -> None:
    asyncio.run(simulate(conn, people, per_person, seed, settle))


# --------------------------------------------------------------------------------------------
# The bot (this process)
# --------------------------------------------------------------------------------------------


async def run_bot(args: argparse.Namespace, db: Path) -> dict[str, Any]:
    from bot.application.app import App
    from bot.application.config import Settings
    from bot.application.wiring import build_engine
    from bot.campaign.setup import create_campaign
    from bot.campaign.units import province_units
    from bot.channels.telegram import TelegramChannel, TelegramOptions
    from bot.clock import FakeClock

    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(
        target=fake_process,
        args=(child, args.people, args.per_person, args.seed, args.settle),
        daemon=True,
    )
    process.start()
    message = await asyncio.to_thread(parent.recv)
    _, bot_url, file_url = message
    os.environ.update(
        {
            "YOUTHBOT_DB": str(db),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": bot_url,
            "TELEGRAM_FILE_BASE_URL": file_url,
        }
    )
    settings = Settings(env_file=None)
    clock = FakeClock(datetime(2025, 7, 1, 2, 0, tzinfo=UTC))
    app = await App.open(settings, clock=clock)
    try:
        await app.store.units.upsert_many(province_units("cao_bang"), now=clock.now())
        campaign = await create_campaign(
            app,
            title="Đối thoại giữa Chủ tịch UBND tỉnh với thanh niên năm 2025",
            dialogue=date(2025, 8, 28),
        )
        if args.questions:
            await seed_questions(app, campaign.id, args.questions, now=clock.now())
        options = TelegramOptions(
            per_chat_interval=0.0,  # measured: processing, not Telegram's 1 msg/s per chat
            overall_max_rate=1_000_000.0,  # the limiter stays in the path, never limiting
            max_concurrent_updates=args.concurrency,
            poll_timeout=5,
            http=args.http,
        )
        engine = build_engine(app)
        channel = TelegramChannel(app, engine, options=options)
        warm_up = 0.0
        if engine.similar is not None and not args.cold and hasattr(engine.similar, "warm_up"):
            # As `youthbot run` does before the channels start.
            started = time.perf_counter()
            await engine.similar.warm_up()
            warm_up = time.perf_counter() - started
        await channel.start()
        cpu = time.process_time()
        parent.send("go")
        result: dict[str, Any] = await asyncio.to_thread(parent.recv)
        result["bot_cpu"] = time.process_time() - cpu
        result["warm_up"] = warm_up
        result["failed"] = channel.failed
        await channel.stop()
        parent.send("stop")
        result["questions"] = await app.store.db.fetchval("SELECT COUNT(*) FROM questions")
        result["people_db"] = await app.store.db.fetchval("SELECT COUNT(*) FROM people")
    finally:
        await app.close()
        await asyncio.to_thread(process.join, 10)
    return result


async def seed_questions(app: Any, campaign_id: int, count: int, *, now: datetime) -> None:
    """``count`` stored questions of realistic variety (``bench/corpus.py``)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from corpus import Corpus

    from storage.models import NewQuestion

    person, _ = await app.store.people.get_or_create(
        channel="bench",
        external_id="seed",
        chat_id="seed",
        display_name=None,
        language="vi",
        now=now,
    )
    units = [u.id for u in await app.store.units.all()]
    topics = [t.id for t in await app.store.campaigns.topics(campaign_id)]
    rng = random.Random(7)
    corpus = Corpus(seed=7)
    await app.store.questions.insert_bulk(
        (
            NewQuestion(
                campaign_id,
                person.id,
                rng.choice(units),
                rng.choice(topics),
                None,
                corpus.question()[1],
                "Seed",
                rng.random() < 0.1,
                "bench",
                False,
            )
            for _ in range(count)
        ),
        now=now,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--per-person", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=128, help="max updates in handling")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument(
        "--settle",
        type=float,
        default=0.1,
        help="seconds without a new message after which a person takes the answer as complete",
    )
    parser.add_argument(
        "--http", choices=["aiohttp", "httpx"], default="aiohttp", help="PTB's transport"
    )
    parser.add_argument(
        "--questions", type=int, default=0, help="questions already stored (e.g. 100000)"
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="start without building the similar-question index first",
    )
    args = parser.parse_args()

    import telegram

    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    print(
        f"machine: {os.cpu_count()} CPUs (nproc), {platform.machine()}, "
        f"Python {platform.python_version()}, python-telegram-bot {telegram.__version__}, "
        f"{platform.system()} {platform.release()}"
    )
    with tempfile.TemporaryDirectory(prefix="youthbot-bench-") as folder:
        db = Path(folder) / "bench.db"
        result = asyncio.run(run_bot(args, db))
    latencies = result["latencies"]
    updates = result["updates"]
    rate = updates / result["elapsed"]
    quantiles = statistics.quantiles(latencies, n=100)
    print(
        f"updates: {updates} from {args.people} people "
        f"({', '.join(f'{k} {v}' for k, v in sorted(result['actions'].items()))})"
    )
    print(
        f"stored before: {args.questions:,} questions; index warm-up before the channel "
        f"started: {result['warm_up']:.1f} s{' (cold start: none)' if args.cold else ''}"
    )
    print(f"elapsed: {result['elapsed']:.2f} s  ->  {rate:,.0f} updates/s (target >= 500)")
    print(
        "latency per update (sent -> stored, handled and the last answer sent): "
        f"p50 {quantiles[49] * 1000:.0f} ms, p95 {quantiles[94] * 1000:.0f} ms, "
        f"p99 {quantiles[98] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
    )
    calls = result["calls"]
    print(
        "Bot API calls: "
        + ", ".join(f"{method} {count}" for method, count in sorted(calls.items()))
        + f"; statuses {dict(sorted(result['statuses'].items()))}"
    )
    print(
        f"stored: {result['questions']} questions, {result['people_db']} people; "
        f"engine failures: {result['failed']}; fake errors: {len(result['fake_errors'])}"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"CPU: bot {result['bot_cpu']:.1f} s, fake + simulated people {result['fake_cpu']:.1f} s; "
        f"bot peak RSS {peak:.0f} MB"
    )
    return 0 if rate >= 500 and not result["failed"] and not result["fake_errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
