"""A broadcast through the outbox and the Telegram adapter, with a kill -9 and a restart.

The issue: a broadcast to 10,000 recipients through the Telegram adapter against a fake
Bot API server that enforces Telegram's limits: sustained >= 28 messages/s (the ceiling is
30), zero 429s received, zero duplicates, zero lost after a kill -9 at a random point and
a restart. To keep the run short the fake's limits may be scaled up by a factor k; the
rate is then reported as a fraction of the limit in force.

Each run, like ``tests/test_outbox.py::test_kill_9_in_the_middle_of_a_broadcast_loses_nothing``
at full size:

1. a fresh SQLite file: Cao Bằng's units, a campaign, N consenting young people with a
   Telegram identity each (distinct private chats), and one broadcast queued with
   ``handlers.broadcast.plan_broadcast`` / ``start_broadcast`` (N outbox rows);
2. the fake Bot API (``tests/fakes/telegram_api.py``) in this process, enforcing
   ``RateLimits(scale=k)``: 30·k messages/s overall, k/s per chat, 10 % tolerance, whole
   seconds in ``retry_after`` as Telegram does;
3. ``python -m bot run --channel telegram`` as a subprocess (the production process: the
   adapter, the outbox sender and the scheduler) with ``TELEGRAM_MAX_MESSAGES_PER_SECOND``
   = 30·k, so that both the outbox's pacing (95 % of it) and PTB's ``AIORateLimiter`` are
   told the limit in force;
4. SIGKILL at a random point: ``random.uniform(0, expected duration)`` seconds after the
   first delivery (seeded; the seed and the point are printed); a restart; a bounded wait
   until every recipient got the message; SIGTERM (must exit 0).

Figures: the sustained rate is measured on the delivery timestamps the fake records
(successful sendMessage answers), from the 5th to the 95th percentile, separately for
the deliveries of the first process (before the kill) and of the second one (after the
restart), so that the restart gap does not count as slowness; the overall figure
(restart gap included) is printed too. 429s are every 429 the fake answered. Duplicates
are extra deliveries of the broadcast text to a chat; lost are recipients that never got
it. ``--kill none`` measures the rate without a kill.

    .venv/bin/python bench/broadcast_outbox.py [--recipients 10000] [--scale 10]
        [--runs 1] [--seed 1] [--kill random|none]

CPU time: the bot processes' (user+sys, both processes together, from ``RUSAGE_CHILDREN``)
and this process' (the fake Bot API server, seeding and bookkeeping).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("PTB_TIMEDELTA", "true")

# Settings come only from what this bench sets (the tests' clean_env, by hand).
for _name in list(os.environ):
    if _name.startswith(("YOUTHBOT_", "TELEGRAM_", "ZALO_", "SMTP_")):
        del os.environ[_name]

from bot.application.app import App  # noqa: E402
from bot.application.config import Settings  # noqa: E402
from bot.campaign.setup import create_campaign  # noqa: E402
from bot.campaign.units import province_units  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from handlers.broadcast import plan_broadcast, start_broadcast  # noqa: E402
from handlers.engine import CONSENT_VERSION  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI  # noqa: E402

TOKEN = "123456789:AAH-youthbot_bench_token_0123456789abcdef"
TEXT = (
    "Thông báo: hạn gửi câu hỏi cho buổi đối thoại với thanh niên là 21/08. "
    "Bạn còn câu hỏi nào thì gửi ngay nhé!"
)
FIRST_CHAT = 100_000
SAFETY = 0.95  # the outbox paces at 95 % of the limit (bot/outbox.py)


class CountingAPI(FakeTelegramAPI):
    """The fake Bot API, also keeping (time, chat) of every successful sendMessage.

    ``sent_messages()`` rescans every recorded call; this list lets the bench watch the
    progress of 10,000 deliveries cheaply while they happen.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deliveries: list[tuple[float, int]] = []

    def _send_message(self, params: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        message = super()._send_message(params, files)
        self.deliveries.append((time.monotonic(), int(message["chat"]["id"])))
        return message


@dataclass
class RunResult:
    recipients: int
    limit: float
    kill_after: float | None  # seconds after the first delivery; None: no kill
    killed_at_delivered: int = 0
    seg1: list[float] = field(default_factory=list)
    seg2: list[float] = field(default_factory=list)
    all_times: list[float] = field(default_factory=list)
    count_429: int = 0
    duplicates: int = 0
    duplicate_chats: int = 0
    lost: int = 0
    outbox: dict[str, int] = field(default_factory=dict)
    recovered_lines: list[str] = field(default_factory=list)
    exit_code: int | None = None
    wall: float = 0.0  # first launch -> every recipient reached
    bot_cpu: float = 0.0
    bench_cpu: float = 0.0
    seeding: float = 0.0
    restart_gap: float | None = None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def steady_rate(times: list[float]) -> float | None:
    """Deliveries per second between the 5th and the 95th percentile of ``times``."""
    if len(times) < 100:
        return None
    ordered = sorted(times)
    lo = ordered[int(0.05 * (len(ordered) - 1))]
    hi = ordered[int(0.95 * (len(ordered) - 1))]
    inside = sum(1 for t in ordered if lo <= t <= hi)
    return (inside - 1) / (hi - lo) if hi > lo else None


async def seed(db: Path, recipients: int) -> None:
    os.environ["YOUTHBOT_DB"] = str(db)
    # The bot runs on the real clock: people made "today", or its privacy sweep would
    # erase them as inactive for a year (and their queued messages with them).
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    dialogue = (clock.now() + timedelta(days=58)).date()
    async with await App.open(Settings(env_file=None), clock=clock) as app:
        store = app.store
        await store.units.upsert_many(province_units("cao_bang"), now=clock.now())
        campaign = await create_campaign(app, title="Đối thoại thanh niên", dialogue=dialogue)
        async with store.transaction():  # one commit for the lot; the statements are the app's
            for n in range(FIRST_CHAT, FIRST_CHAT + recipients):
                person, _ = await store.people.get_or_create(
                    channel="telegram",
                    external_id=str(n),
                    chat_id=str(n),
                    display_name=None,
                    language="vi",
                    now=clock.now(),
                )
                await store.people.grant_consent(
                    person.id, version=CONSENT_VERSION, now=clock.now()
                )
        plan = await plan_broadcast(store, campaign, "youth")
        assert len(plan.recipients) == recipients, len(plan.recipients)
        _, queued = await start_broadcast(store, plan, TEXT, author_id=None, now=clock.now())
        assert queued == recipients, queued
    del os.environ["YOUTHBOT_DB"]


async def outbox_counts(db: Path) -> dict[str, int]:
    os.environ["YOUTHBOT_DB"] = str(db)
    try:
        async with await App.open(Settings(env_file=None)) as app:
            return await app.store.outbox.counts()
    finally:
        del os.environ["YOUTHBOT_DB"]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def wait_until(predicate: Any, seconds: float, proc: subprocess.Popen[bytes]) -> bool:
    """Poll ``predicate`` every 20 ms; False on timeout or when ``proc`` died."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline or proc.poll() is not None:
            return False
        await asyncio.sleep(0.02)
    return True


async def one_run(
    recipients: int, scale: float, kill: str, rng: random.Random, workdir: Path
) -> RunResult:
    limit = 30.0 * scale
    expected = recipients / (limit * SAFETY)
    kill_after = rng.uniform(0.0, expected) if kill == "random" else None
    result = RunResult(recipients=recipients, limit=limit, kill_after=kill_after)
    db = workdir / "youthbot.db"
    cpu0 = self_cpu()
    started = time.monotonic()
    await seed(db, recipients)
    result.seeding = time.monotonic() - started

    async with CountingAPI(token=TOKEN) as api:
        api.enable_rate_limits(scale=scale)  # Telegram's limits x scale, whole-second waits
        env = {k: v for k, v in os.environ.items() if not k.startswith(("YOUTHBOT_", "TELEGRAM_"))}
        env.update(
            YOUTHBOT_DB=str(db),
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_BASE_URL=api.bot_url,
            TELEGRAM_FILE_BASE_URL=api.file_url,
            TELEGRAM_MAX_MESSAGES_PER_SECOND=f"{limit:g}",
            PTB_TIMEDELTA="true",
            YOUTHBOT_LOG_LEVEL="WARNING",
            PYTHONPATH=str(ROOT),
        )
        command = [sys.executable, "-m", "bot", "run", "--channel", "telegram"]
        reached: set[int] = set()
        seen = 0

        def delivered_all() -> bool:
            nonlocal seen
            for _, chat in api.deliveries[seen:]:
                reached.add(chat)
            seen = len(api.deliveries)
            return len(reached) >= recipients

        cpu_children0 = children_cpu()
        launch = time.monotonic()
        processes: list[subprocess.Popen[bytes]] = []
        logs = []

        def launch_bot(name: str) -> subprocess.Popen[bytes]:
            log = (workdir / name).open("wb")
            logs.append(log)
            proc = subprocess.Popen(command, env=env, cwd=workdir, stdout=log, stderr=log)
            processes.append(proc)
            return proc

        kill_time: float | None = None
        restart = launch
        try:
            bot = launch_bot("first.log")
            if kill_after is not None:
                if not await wait_until(lambda: bool(api.deliveries), 60, bot):
                    result.errors.append("first process delivered nothing within 60 s")
                else:
                    due = api.deliveries[0][0] + kill_after
                    await wait_until(lambda: time.monotonic() >= due or delivered_all(), 600, bot)
                kill_time = time.monotonic()
                bot.send_signal(signal.SIGKILL)
                result.killed_at_delivered = len(api.deliveries)
                # Waited in a thread: the fake (this event loop) keeps answering meanwhile,
                # so a request sent just before the kill is answered before the restart.
                await asyncio.to_thread(bot.wait, 10)
                await asyncio.sleep(0.2)
                restart = time.monotonic()
                bot = launch_bot("second.log")
            remaining = recipients - len(reached)
            bound = 60 + 3 * remaining / (limit * SAFETY)
            if not await wait_until(delivered_all, bound, bot):
                result.errors.append(f"not every recipient reached within {bound:.0f} s")
            result.wall = time.monotonic() - launch
            await asyncio.sleep(1.0)  # anything late (a duplicate) still arrives
            bot.send_signal(signal.SIGTERM)
            try:
                result.exit_code = await asyncio.to_thread(bot.wait, 60)
            except subprocess.TimeoutExpired:
                result.errors.append("SIGTERM did not stop the bot within 60 s")
        finally:
            for proc in processes:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(10)
            for log in logs:
                log.close()
        result.bot_cpu = children_cpu() - cpu_children0

        times = [t for t, _ in api.deliveries]
        result.all_times = times
        if kill_time is not None:
            result.seg1 = [t for t in times if t < restart]
            result.seg2 = [t for t in times if t >= restart]
            result.restart_gap = (min(result.seg2) - kill_time) if result.seg2 else None
        else:
            result.seg1 = times
        result.count_429 = api.count_429
        texts = [m for m in api.sent_messages() if m["text"] == TEXT]
        per_chat = Counter(m["chat_id"] for m in texts)
        result.duplicates = sum(n - 1 for n in per_chat.values())
        result.duplicate_chats = sum(1 for n in per_chat.values() if n > 1)
        assert result.duplicates == sum(
            sum(v.values()) - len(v) for v in api.duplicate_deliveries().values()
        )
        wanted = set(range(FIRST_CHAT, FIRST_CHAT + recipients))
        result.lost = len(wanted - set(per_chat))
        cut = [e for e in api.errors if isinstance(e, ConnectionError)]
        if cut and kill_time is not None:
            # The kill cut a request the fake was still reading: expected, not a fault.
            result.notes.append(f"connections cut by the kill, seen by the fake: {len(cut)}")
        other = [e for e in api.errors if not (kill_time is not None and e in cut)]
        if other:
            result.errors.append(f"fake API errors: {other[:3]}")
    result.outbox = await outbox_counts(db)
    for name in ("first.log", "second.log"):
        path = workdir / name
        if path.exists():
            for line in path.read_text(errors="replace").splitlines():
                if "in flight" in line:
                    result.recovered_lines.append(line.strip())
                elif "Traceback" in line or "ERROR" in line:
                    result.errors.append(f"{name}: {line.strip()[:200]}")
    result.bench_cpu = self_cpu() - cpu0
    return result


def describe(index: int, r: RunResult, scale: float) -> list[str]:
    lines = [f"run {index}: {r.recipients:,} recipients, limit in force {r.limit:g} msg/s"]
    if r.kill_after is not None:
        lines.append(
            f"  kill -9 at {r.kill_after:.2f} s after the first delivery "
            f"({r.killed_at_delivered:,} delivered by then); restart gap "
            + (f"{r.restart_gap:.2f} s" if r.restart_gap is not None else "n/a")
        )
    rates = []
    for name, times in (("before kill", r.seg1), ("after restart", r.seg2)):
        if r.kill_after is None and name == "after restart":
            continue
        rate = steady_rate(times)
        label = "sustained" if r.kill_after is None else f"sustained {name}"
        if rate is None:
            lines.append(f"  {label}: n/a ({len(times)} deliveries, too few to measure)")
        else:
            rates.append(rate)
            lines.append(
                f"  {label}: {rate:7.1f} msg/s = {rate / r.limit:.3f} of the limit "
                f"({rate / scale:.2f} msg/s at Telegram's 30) over {len(times):,} deliveries"
            )
    overall = steady_rate(r.all_times)
    if r.kill_after is not None and overall is not None:
        lines.append(
            f"  overall (restart gap included): {overall:7.1f} msg/s = "
            f"{overall / r.limit:.3f} of the limit"
        )
    lines.append(
        f"  429s received: {r.count_429}   duplicates: {r.duplicates} "
        f"(in {r.duplicate_chats} chats)   lost: {r.lost}   "
        f"outbox after: {dict(sorted(r.outbox.items()))}   exit after SIGTERM: {r.exit_code}"
    )
    lines.append(
        f"  wall (first launch -> all reached): {r.wall:.2f} s   seeding: {r.seeding:.2f} s   "
        f"CPU: bot processes {r.bot_cpu:.2f} s, bench process (fake API, seeding) "
        f"{r.bench_cpu:.2f} s ({1000 * r.bot_cpu / max(1, len(r.all_times)):.2f} ms of bot CPU "
        "per delivery, start-ups included)"
    )
    for line in r.recovered_lines:
        lines.append(f"  log: {line[:160]}")
    for note in r.notes:
        lines.append(f"  note: {note}")
    for error in r.errors:
        lines.append(f"  PROBLEM: {error}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--scale", type=float, default=10.0, help="the fake's limits x this")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=None, help="default: random, printed")
    parser.add_argument("--kill", choices=("random", "none"), default="random")
    args = parser.parse_args()
    seed_value = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    rng = random.Random(seed_value)

    import telegram

    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    print(
        f"machine: {os.cpu_count()} CPUs (nproc), {platform.machine()}, "
        f"Python {platform.python_version()}, python-telegram-bot {telegram.__version__}, "
        f"{platform.system()} {platform.release()}, load average at start "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(
        f"seed: {seed_value}   limits: 30 x {args.scale:g} = {30 * args.scale:g} msg/s overall, "
        f"{args.scale:g}/s per chat (fake tolerance 10 %); outbox paces at 95 % = "
        f"{30 * args.scale * SAFETY:g} msg/s"
    )
    failed = False
    results = []
    for index in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="youthbot-broadcast-") as tmp:
            result = asyncio.run(one_run(args.recipients, args.scale, args.kill, rng, Path(tmp)))
        results.append(result)
        print("\n".join(describe(index, result, args.scale)), flush=True)
        failed |= bool(result.count_429 or result.lost or result.errors or result.exit_code != 0)
    if len(results) > 1:
        print(
            f"total over {len(results)} runs: 429s {sum(r.count_429 for r in results)}, "
            f"duplicates {sum(r.duplicates for r in results)}, "
            f"lost {sum(r.lost for r in results)}"
        )
    print("target: sustained >= 28/30 = 0.933 of the limit, 0 429s, 0 duplicates, 0 lost")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
