"""Faults against the intake: 200 people at once, kill -9s with restarts, 30 s of send errors.

The issue: 200 people doing the intake at once, 5 × kill -9 of the bot process with
restarts, 30 s of send errors; report 0 lost questions, 0 doubled, 0 people left without a
reply (no answer to their last action for ≥ 45 s), how many duplicates were delivered and
whether each was marked.

What runs:

* the production process, ``python -m bot run --channel telegram`` (real engine, a fresh
  SQLite file, PTB against the fake Bot API of ``tests/fakes/telegram_api.py`` on
  127.0.0.1, Telegram's per-chat pacing and overall rate as in production);
* the fake Bot API in this process, with Telegram's flood limits (``--scale``) and the
  fault schedule: SIGKILL of the bot at ``--kills`` random moments (seeded, printed), each
  followed by an immediate restart, and ``--outage`` seconds during which every send method
  (sendMessage, editMessageText, sendDocument, sendPhoto) answers 500;
* ``--people`` simulated young people, all starting together, each doing the whole intake:
  /start, consent, typing a commune, picking it, typing a name, category, topic, the
  question, sending it (or "send mine anyway" when similar questions are shown) until the
  receipt code. A person acts, waits for the bot's answer (a message or an edit of the
  prompt after the action, then 0.4 s without more), takes ``--think`` seconds on average
  to read it and tap or type (people are not instant: 200 people acting the moment an
  answer arrives would ask for several times the 30 messages/s Telegram allows a bot, and
  measure the queue rather than the faults), and acts on the prompt it shows; each wait
  is measured.

Figures: lost questions (people without exactly their one question stored, or whose
receipt code is not in the database), doubled (more than one stored question for a person),
people left without a reply (a wait of 45 s or more, or no answer at all), the longest and
the 99th-percentile wait, duplicates (the same message delivered twice in answer to one
action) and how many of them the bot marked (its log names the chat of every reply it sent
again after a crash or a lost answer: "reply N sent again to chat ***1234; it may have
arrived twice").

    .venv/bin/python bench/reply_faults.py [--people 200] [--kills 5] [--outage 30]
        [--seed 13] [--scale 1] [--think 8] [--bot-root PATH]

The exit status is 1 when a target is missed (lost, doubled, left without a reply,
an unmarked duplicate) or the bot did not stop cleanly at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("PTB_TIMEDELTA", "true")
for _name in list(os.environ):
    if _name.startswith(("YOUTHBOT_", "TELEGRAM_", "ZALO_", "SMTP_")):
        del os.environ[_name]

from tests.fakes.telegram_api import FakeTelegramAPI  # noqa: E402

TOKEN = "123456789:AAH-youthbot_bench_token_0123456789abcdef"
FIRST_CHAT = 610_000
LEFT_WITHOUT_REPLY = 45.0  # seconds
GIVE_UP = 150.0  # a person stops waiting for an answer after this long
SETTLE = 0.4
UNIT_QUERIES = ("thuc phan", "Đàm Thủy", "hoa an", "Nùng Trí Cao", "quảng uyên", "trà lĩnh")
NAMES = ("Nông Thị Hoa", "Lò Văn Lan", "Hoàng Minh Đức", "Nguyễn Thu Trang", "Bế Văn Tùng")
QUESTIONS = (
    "Tỉnh có chính sách gì hỗ trợ thanh niên tìm việc làm sau khi tốt nghiệp?",
    "Khi nào xã em có wifi miễn phí ở nhà văn hóa cho thanh niên học tập?",
    "Thanh niên khởi nghiệp nuôi trồng ở vùng cao có được vay vốn ưu đãi không?",
    "Tỉnh có kế hoạch đào tạo nghề miễn phí cho thanh niên xuất ngũ không ạ?",
    "Sân chơi thể thao cho thanh niên ở thị trấn khi nào được xây dựng?",
)
_SENT_AGAIN = re.compile(r"sent again to chat \*+(\d{4})")


@dataclass
class Shown:
    """One message the bot showed in a chat (a new one, or an edit of a prompt)."""

    at: float
    edit: bool
    text: str
    payloads: list[str]
    action: int  # the person's action it answered (their count of actions so far)
    message_id: int


class WatchedAPI(FakeTelegramAPI):
    """The fake Bot API, keeping what each chat was shown, in order."""

    def __init__(self) -> None:
        super().__init__(token=TOKEN)
        self.shown: dict[int, list[Shown]] = {}
        self.actions: dict[int, int] = {}
        self._changed: dict[int, asyncio.Event] = {}

    def changed(self, chat: int) -> asyncio.Event:
        return self._changed.setdefault(chat, asyncio.Event())

    def _record(self, message: Any, text: str, markup: Any, *, edit: bool) -> None:
        chat = message["chat"]["id"]
        if not isinstance(chat, int) or chat < FIRST_CHAT:
            return
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        payloads = [b["callback_data"] for row in rows or [] for b in row if "callback_data" in b]
        self.shown.setdefault(chat, []).append(
            Shown(
                time.monotonic(),
                edit,
                text,
                payloads,
                self.actions.get(chat, 0),
                int(message["message_id"]),
            )
        )
        self.changed(chat).set()

    def _bot_message(self, chat: Any, extra: Any, reply_markup: Any) -> Any:
        message = super()._bot_message(chat, extra, reply_markup)
        self._record(message, str(message.get("text") or ""), reply_markup, edit=False)
        return message

    def _edit_message_text(self, params: dict[str, Any], files: Any) -> Any:
        message = super()._edit_message_text(params, files)
        self._record(message, str(params.get("text")), params.get("reply_markup"), edit=True)
        return message


@dataclass
class Person:
    api: WatchedAPI
    chat: int
    rng: random.Random
    waits: list[float] = field(default_factory=list)
    unanswered: int = 0
    receipt: str | None = None
    prompt_id: int | None = None
    payloads: list[str] = field(default_factory=list)

    async def act(self, push: Any) -> list[Shown]:
        """Do one thing; return what the bot showed in answer (empty: no answer)."""
        shown = self.api.shown.setdefault(self.chat, [])
        mark = len(shown)
        self.api.actions[self.chat] = self.api.actions.get(self.chat, 0) + 1
        started = time.monotonic()
        push()
        event = self.api.changed(self.chat)
        while len(shown) == mark:
            waited = time.monotonic() - started
            if waited > GIVE_UP:
                self.unanswered += 1
                self.waits.append(waited)
                return []
            event.clear()
            try:
                await asyncio.wait_for(event.wait(), GIVE_UP - waited)
            except TimeoutError:
                continue
        self.waits.append(shown[mark].at - started)
        while (quiet := time.monotonic() - shown[-1].at) < SETTLE:  # the rest of the answer
            event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), SETTLE - quiet + 0.01)
        answer = shown[mark:]
        self.payloads = []  # the buttons of this answer's prompt, if it has any
        for item in answer:
            if item.payloads:
                self.payloads = item.payloads
                self.prompt_id = item.message_id
        return answer

    def say(self, text: str) -> Any:
        return lambda: self.api.push_message(self.chat, text, first_name="Bench")

    def press(self, payload: str) -> Any:
        return lambda: self.api.push_callback(self.chat, payload, message_id=self.prompt_id)

    def choose(self, action: str) -> str | None:
        found = [p for p in self.payloads if p.split(".")[1] == action]
        return self.rng.choice(found) if found else None

    async def run(self, think: float) -> None:
        answer = await self.act(self.say("/start"))
        for _ in range(30):
            text = "\n".join(item.text for item in answer)
            if "Mã câu hỏi" in text:
                self.receipt = text.split("Mã câu hỏi: ")[1][:6]
                return
            await asyncio.sleep(self.rng.uniform(0.5 * think, 1.5 * think))  # reads, taps
            actions = {p.split(".")[1] for p in self.payloads}
            press = None
            for wanted in ("cy", "cp", "ud", "up", "tp", "sm", "ps"):
                if wanted in actions:
                    press = self.choose(wanted)
                    break
            if press is None and "ct" in actions:
                press = self.choose("ct")
            if press is not None:
                answer = await self.act(self.press(press))
            elif "na" in actions:
                answer = await self.act(self.say(self.rng.choice(NAMES)))
            elif "Gõ tên xã, phường" in text or "xã, phường" in text:
                answer = await self.act(self.say(self.rng.choice(UNIT_QUERIES)))
            elif "viết câu hỏi" in text:
                answer = await self.act(self.say(self.rng.choice(QUESTIONS)))
            else:  # unexpected: look again at the latest prompt
                answer = await self.act(self.say("/hoi"))
            if not answer:
                return  # no answer even after GIVE_UP seconds


SEED = """
import asyncio, os
from datetime import UTC, datetime, timedelta
from bot.application.app import App
from bot.application.config import Settings
from bot.campaign.setup import create_campaign
from bot.campaign.units import province_units
from bot.clock import FakeClock


async def seed():
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    dialogue = (clock.now() + timedelta(days=58)).date()
    async with await App.open(Settings(env_file=None), clock=clock) as app:
        await app.store.units.upsert_many(province_units("cao_bang"), now=clock.now())
        await create_campaign(app, title="Đối thoại thanh niên", dialogue=dialogue)

asyncio.run(seed())
"""


def seed(root: Path, db: Path) -> None:
    """Cao Bằng's units and an open campaign, written by the code the bot runs (another
    checkout's schema may be older)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YOUTHBOT_", "TELEGRAM_"))}
    env.update(YOUTHBOT_DB=str(db), PYTHONPATH=str(root))
    subprocess.run([sys.executable, "-c", SEED], check=True, env=env, cwd=db.parent)


def mask(chat: int) -> str:
    return str(chat)[-4:]


async def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    db = workdir / "youthbot.db"
    await asyncio.to_thread(seed, args.bot_root, db)
    rng = random.Random(args.seed)
    api = WatchedAPI()
    await api.start()
    api.enable_rate_limits(scale=args.scale)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YOUTHBOT_", "TELEGRAM_"))}
    env.update(
        YOUTHBOT_DB=str(db),
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.bot_url,
        TELEGRAM_FILE_BASE_URL=api.file_url,
        TELEGRAM_MAX_MESSAGES_PER_SECOND=f"{30 * args.scale:g}",
        PTB_TIMEDELTA="true",
        YOUTHBOT_LOG_LEVEL="INFO",
        PYTHONPATH=str(args.bot_root),
    )
    command = [sys.executable, "-m", "bot", "run", "--channel", "telegram"]
    logs: list[Path] = []
    procs: list[subprocess.Popen[bytes]] = []

    def launch() -> subprocess.Popen[bytes]:
        log = workdir / f"bot{len(logs) + 1}.log"
        logs.append(log)
        with log.open("wb") as out:
            proc = subprocess.Popen(command, env=env, cwd=workdir, stdout=out, stderr=out)
        procs.append(proc)
        return proc

    people = [Person(api, FIRST_CHAT + i, random.Random(rng.random())) for i in range(args.people)]
    # The schedule: kills spread over the expected run, the outage in its first half.
    kill_at = sorted(rng.uniform(3.0, args.span) for _ in range(args.kills))
    outage_at = rng.uniform(5.0, max(6.0, args.span / 2))
    events: list[str] = []
    bot = launch()
    await asyncio.sleep(2.0)  # the first start (the restarts are measured as they come)
    started = time.monotonic()

    async def faults() -> None:
        nonlocal bot
        schedule = [(t, "kill") for t in kill_at] + [(outage_at, "outage")]
        for at, what in sorted(schedule):
            await asyncio.sleep(max(0.0, started + at - time.monotonic()))
            if what == "outage":
                api.fail_during(args.outage, status=500)
                events.append(f"{at:6.1f} s: {args.outage:g} s of HTTP 500 on send methods begin")
                continue
            bot.send_signal(signal.SIGKILL)
            await asyncio.to_thread(bot.wait, 10)
            shown = sum(len(v) for v in api.shown.values())
            events.append(f"{at:6.1f} s: kill -9 ({shown} messages shown so far); restart")
            bot = launch()

    fault_task = asyncio.create_task(faults())
    cpu0 = time.process_time()
    await asyncio.gather(*(person.run(args.think) for person in people))
    elapsed = time.monotonic() - started
    await fault_task  # the schedule may outlast the people: all faults happen
    await asyncio.sleep(3.0)  # anything late (a duplicate) still arrives
    bot.send_signal(signal.SIGTERM)
    try:
        exit_code: int | None = await asyncio.to_thread(bot.wait, 60)
    except subprocess.TimeoutExpired:
        exit_code = None
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    bench_cpu = time.process_time() - cpu0
    await api.close()

    # -- the database -------------------------------------------------------------------------
    with sqlite3.connect(db) as conn:
        stored = dict(
            conn.execute(
                "SELECT i.external_id, count(q.id) FROM identities i"
                " LEFT JOIN questions q ON q.person_id = i.person_id"
                " WHERE i.channel = 'telegram' GROUP BY i.external_id"
            ).fetchall()
        )
        codes = {row[0] for row in conn.execute("SELECT code FROM questions")}
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        left_rows = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("update_inbox", "reply_outbox")
            if table in tables
        }

    # -- duplicates and their marks -----------------------------------------------------------
    duplicates: Counter[int] = Counter()
    for chat, shown in api.shown.items():
        seen: set[tuple[int, str, tuple[str, ...]]] = set()
        for item in shown:
            if item.edit:
                continue
            key = (item.action, item.text, tuple(item.payloads))
            if key in seen:
                duplicates[chat] += 1
            seen.add(key)
    marks: Counter[str] = Counter()
    log_text = ""
    for path in logs:
        text = path.read_text(errors="replace")
        log_text += text
        marks.update(_SENT_AGAIN.findall(text))
    marked = sum(min(n, marks[mask(chat)]) for chat, n in duplicates.items())
    waits = sorted(w for p in people for w in p.waits)
    left = [p for p in people if p.unanswered or any(w >= LEFT_WITHOUT_REPLY for w in p.waits)]
    lost = [
        p
        for p in people
        if stored.get(str(p.chat), 0) == 0 or p.receipt is None or p.receipt not in codes
    ]
    doubled = [p for p in people if stored.get(str(p.chat), 0) > 1]
    calls = Counter(c.method for c in api.calls)
    statuses = Counter(c.status or 0 for c in api.calls)
    return {
        "elapsed": elapsed,
        "events": events,
        "people": len(people),
        "receipts": sum(1 for p in people if p.receipt),
        "questions": sum(stored.values()),
        "lost": len(lost),
        "doubled": len(doubled),
        "left": len(left),
        "actions": len(waits),
        "wait_max": waits[-1] if waits else 0.0,
        "wait_p99": waits[int(0.99 * (len(waits) - 1))] if waits else 0.0,
        "wait_p50": waits[len(waits) // 2] if waits else 0.0,
        "duplicates": sum(duplicates.values()),
        "duplicate_chats": len(duplicates),
        "marked": marked,
        "marks_logged": sum(marks.values()),
        "left_rows": left_rows,
        "exit_code": exit_code,
        "restarts": len(logs) - 1,
        "calls": dict(calls),
        "statuses": dict(sorted(statuses.items())),
        "tracebacks": log_text.count("Traceback"),
        "error_lines": [line for line in log_text.splitlines() if " ERROR " in line][:5],
        "recovered": [line for line in log_text.splitlines() if "left by the last run" in line],
        "lost_people": [p.chat for p in lost][:10],
        "left_people": [(p.chat, max(p.waits or [0.0])) for p in left][:10],
        "bench_cpu": bench_cpu,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--outage", type=float, default=30.0, help="seconds of send errors")
    parser.add_argument("--span", type=float, default=100.0, help="faults fall in [0, span] s")
    parser.add_argument(
        "--think",
        type=float,
        default=8.0,
        help="mean seconds a person takes to read an answer and act (uniform, ±50 %%)",
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--scale", type=float, default=1.0, help="Telegram's limits x this")
    parser.add_argument(
        "--bot-root",
        type=Path,
        default=ROOT,
        help="run the bot from another checkout (a baseline), against the same fake and people",
    )
    args = parser.parse_args()

    import telegram

    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    print(
        f"machine: {os.cpu_count()} CPUs (nproc), {platform.machine()}, "
        f"Python {platform.python_version()}, python-telegram-bot {telegram.__version__}, "
        f"{platform.system()} {platform.release()}, load average at start "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    with tempfile.TemporaryDirectory(prefix="youthbot-faults-") as folder:
        r = asyncio.run(run(args, Path(folder)))
    print(f"seed {args.seed}; faults:")
    for line in r["events"]:
        print("  " + line)
    for line in r["recovered"]:
        print("  bot log: " + line.split(": ", 1)[-1][:150])
    print(
        f"people: {r['people']}, receipts seen: {r['receipts']}, questions stored: "
        f"{r['questions']}; actions {r['actions']} in {r['elapsed']:.1f} s"
    )
    print(
        f"lost questions: {r['lost']}   doubled: {r['doubled']}   "
        f"people left without a reply (>= {LEFT_WITHOUT_REPLY:g} s or never): {r['left']}"
    )
    print(
        f"wait for the answer to an action: p50 {r['wait_p50']:.2f} s, "
        f"p99 {r['wait_p99']:.2f} s, max {r['wait_max']:.2f} s"
    )
    print(
        f"duplicates delivered: {r['duplicates']} (in {r['duplicate_chats']} chats), "
        f"marked by the bot: {r['marked']} of them ({r['marks_logged']} resend lines logged)"
    )
    print(
        f"restarts: {r['restarts']}; final SIGTERM exit status: {r['exit_code']}; left stored "
        f"after the stop: {r['left_rows']}; tracebacks in the bot's logs: {r['tracebacks']}"
    )
    print(
        "Bot API calls: "
        + ", ".join(f"{m} {n}" for m, n in sorted(r["calls"].items()))
        + f"; statuses {r['statuses']}"
    )
    for line in r["error_lines"]:
        print("  bot ERROR: " + line[:200])
    if r["lost_people"] or r["left_people"]:
        print(f"  lost: {r['lost_people']}  left: {r['left_people']}")
    ok = (
        r["lost"] == 0
        and r["doubled"] == 0
        and r["left"] == 0
        and r["marked"] == r["duplicates"]
        and r["exit_code"] == 0
        and not any(r["left_rows"].values())
    )
    print("target: 0 lost, 0 doubled, 0 left without a reply, every duplicate marked:", ok)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
