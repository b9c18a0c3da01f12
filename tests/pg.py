"""A real PostgreSQL server for the tests: Debian's binaries, started once per session.

``initdb`` and ``pg_ctl`` put a throw-away cluster in a temporary folder; it listens on a
unix socket in that folder only (no TCP port), with durability off (tests need speed, not
crash safety). A template database is migrated once; each test gets a fresh copy of it
(``CREATE DATABASE … TEMPLATE``, WAL-logged: no checkpoint), dropped afterwards. Run as root (as CI
does), the server runs as the ``postgres`` user (or ``nobody``): PostgreSQL refuses root.

No binaries (no ``apt-get install postgresql``): :func:`find_bindir` returns ``None`` and
the PostgreSQL tests skip, saying so.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import pwd
import queue
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import asyncpg
import pytest

from storage.db import Database

TEMPLATE = "youthbot_template"
SKIP_REASON = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql"
    " (or set YOUTHBOT_TEST_PG_BINDIR)"
)
_counter = itertools.count(1)
T = TypeVar("T")


def find_bindir() -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` are: $YOUTHBOT_TEST_PG_BINDIR, Debian's newest
    ``/usr/lib/postgresql/N/bin``, or the PATH."""
    candidates: list[Path] = []
    if os.environ.get("YOUTHBOT_TEST_PG_BINDIR"):
        candidates.append(Path(os.environ["YOUTHBOT_TEST_PG_BINDIR"]))
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = sorted(
            (p for p in debian.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)
        )
        candidates.extend(p / "bin" for p in reversed(versions))
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


@dataclass
class PgServer:
    bindir: Path
    root: Path
    user: str | None  # run the server as this user (we are root)
    factory: DatabaseFactory | None = None

    @property
    def socket_dir(self) -> Path:
        return self.root

    def url(self, database: str) -> str:
        return f"postgresql://postgres@/{database}?host={quote(str(self.socket_dir), safe='')}"

    def _run(self, *args: str) -> None:
        command = [str(a) for a in args]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        data = self.root / "data"
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        options = " ".join(
            [
                f"-k {self.socket_dir}",
                "-c listen_addresses=''",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
                "-c shared_buffers=64MB",
            ]
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._run(
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.root / "data"),
                "-m",
                "immediate",
                "stop",
            )
        shutil.rmtree(self.root, ignore_errors=True)

    async def admin(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.url("postgres"))

    async def prepare_template(self) -> None:
        conn = await self.admin()
        try:
            await conn.execute(f"CREATE DATABASE {TEMPLATE}")
        finally:
            await conn.close()
        db = await Database.open(self.url(TEMPLATE))
        await db.close()

    async def create_database(self, *, migrated: bool = True) -> str:
        """A new database (a copy of the migrated template, or empty); returns its URL."""
        name = f"t{os.getpid()}_{next(_counter)}"
        template = TEMPLATE if migrated else "template0"
        conn = await self.admin()
        try:
            await conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        finally:
            await conn.close()
        return self.url(name)

    async def drop_database(self, url: str) -> None:
        name = urlsplit(url).path.strip("/")
        conn = await self.admin()
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await conn.close()


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on a loop of its own (from sync fixtures, whatever loop
    the test runs)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def backend(request: pytest.FixtureRequest) -> str:
    """Import into a test module to run its tests on SQLite and on PostgreSQL."""
    return str(request.param)


class DatabaseFactory:
    """Fresh databases made ahead of time on a thread of their own, and dropped there, so
    that creating and dropping overlap the tests instead of adding to them."""

    def __init__(self, server: PgServer, *, ahead: int = 2) -> None:
        self._server = server
        self._ready: queue.Queue[str | BaseException] = queue.Queue()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._lock = asyncio.Lock()
        self._admin: asyncpg.Connection | None = None
        for _ in range(ahead):
            self._submit(self._make())

    def _submit(self, coro: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop)

    async def _conn(self) -> asyncpg.Connection:
        if self._admin is None:
            self._admin = await self._server.admin()
        return self._admin

    async def _make(self) -> None:
        try:
            async with self._lock:
                name = f"t{os.getpid()}_{next(_counter)}"
                await (await self._conn()).execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
            self._ready.put(self._server.url(name))
        except BaseException as exc:  # the waiting test reports it
            self._ready.put(exc)

    async def _drop(self, url: str) -> None:
        async with self._lock:
            name = urlsplit(url).path.strip("/")
            with contextlib.suppress(asyncpg.PostgresError):
                await (await self._conn()).execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def take(self) -> str:
        self._submit(self._make())
        got = self._ready.get(timeout=120)
        if isinstance(got, BaseException):
            raise got
        return got

    def give_back(self, url: str) -> None:
        self._submit(self._drop(url))

    def close(self) -> None:
        async def finish() -> None:
            async with self._lock:
                if self._admin is not None:
                    await self._admin.close()

        asyncio.run_coroutine_threadsafe(finish(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._loop.close()


def _server_user() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    return None


@contextlib.contextmanager
def running_server(bindir: Path) -> Iterator[PgServer]:
    root = Path(tempfile.mkdtemp(prefix="youthbot-pg-"))
    user = _server_user()
    if user is not None:
        shutil.chown(root, user=user)
    server = PgServer(bindir=bindir, root=root, user=user)
    try:
        server.start()
        yield server
    finally:
        server.stop()
