"""One small aiohttp web server shared by the channels: webhooks and ``GET /healthz``.

Telegram and Zalo both push updates over HTTPS when a webhook is set, and one process runs
both channels, so they share one listening socket (``YOUTHBOT_WEB_HOST`` and
``YOUTHBOT_WEB_PORT``; a reverse proxy terminates TLS in front of it). Each channel
registers its own routes and a health check::

    server = WebServer(host=settings.web.host, port=settings.web.port)
    server.add_route("POST", "/telegram/webhook", telegram_handler)
    server.add_health_check("telegram", telegram_health)
    await server.start()
    ...
    await server.stop()

Routes and health checks can be added and removed at any time, also while the server runs
(a channel starting after another one). ``GET /healthz`` answers
``{"status": "ok", "channels": {name: {...}}}`` with 200, or ``"status": "degraded"`` with
503 when a channel's check reports ``"ok": false`` or raises. Access logs are off: webhook
paths can carry secrets and the body is personal data.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Self

from aiohttp import web

__all__ = ["HealthCheck", "RouteHandler", "WebServer"]

logger = logging.getLogger(__name__)

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HealthCheck = Callable[[], Mapping[str, Any]]
"""Returns a channel's status as JSON-able data; ``"ok": False`` marks it unhealthy."""

HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1024 * 1024  # updates are small; refuse anything larger


class WebServer:
    """An aiohttp server whose routes are registered per channel."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 8080) -> None:
        self.host = host
        self.port = port
        self._routes: dict[tuple[str, str], RouteHandler] = {}
        self._health: dict[str, HealthCheck] = {}
        self._runner: web.AppRunner | None = None
        self._bound_port: int | None = None

    # -- registration -----------------------------------------------------------------

    def add_route(self, method: str, path: str, handler: RouteHandler) -> None:
        """Serve ``method path`` with ``handler``; a second registration is an error."""
        key = (method.upper(), path)
        if key in self._routes:
            raise ValueError(f"route {method.upper()} {path} is already registered")
        self._routes[key] = handler

    def remove_route(self, method: str, path: str) -> None:
        self._routes.pop((method.upper(), path), None)

    def add_health_check(self, name: str, check: HealthCheck) -> None:
        """Report ``check()`` under ``channels[name]`` in ``GET /healthz``."""
        self._health[name] = check

    def remove_health_check(self, name: str) -> None:
        self._health.pop(name, None)

    # -- lifecycle --------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def url(self) -> str:
        """``http://host:port`` actually bound (``port=0`` picks a free port)."""
        if self._bound_port is None:
            raise RuntimeError("the web server is not started")
        return f"http://{self.host}:{self._bound_port}"

    async def start(self) -> Self:
        if self._runner is not None:
            return self
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise OSError(
                exc.errno, f"cannot listen on {self.host}:{self.port}: {exc.strerror}"
            ) from None
        address = runner.addresses[0]
        self._bound_port = int(address[1])
        self._runner = runner
        logger.info("web server listening on %s:%s", self.host, self._bound_port)
        return self

    async def stop(self) -> None:
        if self._runner is None:
            return
        runner, self._runner = self._runner, None
        await runner.cleanup()
        self._bound_port = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- requests ---------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if request.path == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return self._healthz()
        handler = self._routes.get((request.method, request.path))
        if handler is not None:
            return await handler(request)
        if any(path == request.path for _, path in self._routes):
            return web.json_response({"error": "method not allowed"}, status=405)
        return web.json_response({"error": "not found"}, status=404)

    def _healthz(self) -> web.Response:
        channels: dict[str, Any] = {}
        healthy = True
        for name, check in sorted(self._health.items()):
            try:
                report = dict(check())
            except Exception:  # a broken check is a degraded channel, not a crashed server
                logger.exception("health check %s failed", name)
                report = {"ok": False, "error": "health check failed"}
            healthy = healthy and bool(report.get("ok", True))
            channels[name] = report
        body = {"status": "ok" if healthy else "degraded", "channels": channels}
        return web.json_response(body, status=200 if healthy else 503)
