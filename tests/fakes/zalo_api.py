"""A fake Zalo Bot Platform API on 127.0.0.1 (aiohttp.web), for tests over real HTTP.

Serves ``POST /bot{token}/{method}`` with the platform's answer shapes
(``{ok, result, description, error_code}``). Tests push incoming events, read what the bot
sent, and script failures::

    async with FakeZaloApi() as api:
        api.push_text("a1b2c3", "Xin chào")
        api.fail_next("sendMessage", 429, retry_after=2)
        client = ZaloClient(api.token, base_url=api.base_url)

Behaviour assumed where the platform's documentation is silent (pinned here, keep in sync
with ``../shared/CHANNELS.md``): text length counted in UTF-16 units; getUpdates while a
webhook is set answers 409; an empty getUpdates answers HTTP 408 with error_code 408.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import httpx
from aiohttp import web

DEFAULT_TOKEN = "3141592653589793238:FakeZaloBotTokenForTestsOnly_abcdefXYZ"
DEFAULT_BOT_ID = "3141592653589793238"
MAX_TEXT = 2000
SECRET_HEADER = "X-Bot-Api-Secret-Token"
_PATH = re.compile(r"^/bot(?P<token>[^/]*)/(?P<method>[A-Za-z]+)$")
_CHAT_ACTIONS = frozenset({"typing", "upload_photo"})


# --------------------------------------------------------------------------- events


def new_id() -> str:
    """A random 20-hex-digit id, the shape Zalo uses for users, chats and messages."""
    return secrets.token_hex(10)


def now_ms() -> int:
    return int(time.time() * 1000)


def make_event(
    event_name: str,
    *,
    user_id: str,
    display_name: str = "Bạn trẻ",
    chat_id: str | None = None,
    chat_type: str = "PRIVATE",
    message_id: str | None = None,
    date_ms: int | None = None,
    is_bot: bool = False,
    **fields: Any,
) -> dict[str, Any]:
    """A bare event as Zalo sends it; ``fields`` go into ``message`` (``text``, ``photo_url``)."""
    message: dict[str, Any] = {
        "from": {"id": user_id, "display_name": display_name, "is_bot": is_bot},
        "chat": {"id": chat_id or user_id, "chat_type": chat_type},
        "message_id": message_id or new_id(),
        "date": now_ms() if date_ms is None else date_ms,
    }
    message.update(fields)
    return {"event_name": event_name, "message": message}


def make_text_event(user_id: str, text: str, **kwargs: Any) -> dict[str, Any]:
    return make_event("message.text.received", user_id=user_id, text=text, **kwargs)


def make_image_event(
    user_id: str, photo_url: str = "https://example.test/p.jpg", caption: str = "", **kwargs: Any
) -> dict[str, Any]:
    extra: dict[str, Any] = {"photo_url": photo_url}
    if caption:
        extra["caption"] = caption
    return make_event("message.image.received", user_id=user_id, **extra, **kwargs)


def make_sticker_event(
    user_id: str, sticker: str = "0e078a2fb66a5f34067b", **kwargs: Any
) -> dict[str, Any]:
    return make_event(
        "message.sticker.received",
        user_id=user_id,
        sticker=sticker,
        url=f"https://stickers.example.test/{sticker}.png",
        **kwargs,
    )


def make_unsupported_event(user_id: str, **kwargs: Any) -> dict[str, Any]:
    # What a sender from a protected group produces: no text at all.
    return make_event("message.unsupported.received", user_id=user_id, **kwargs)


def wrap(event: dict[str, Any]) -> dict[str, Any]:
    """The wrapped form some deliveries use: ``{"ok": true, "result": event}``."""
    return {"ok": True, "result": event}


async def post_webhook(
    url: str,
    event: dict[str, Any],
    *,
    secret_token: str | None = None,
    wrapped: bool = False,
    headers: dict[str, str] | None = None,
    client: httpx.AsyncClient | None = None,
    http_timeout: float = 5.0,
) -> httpx.Response:
    """POST an event to a webhook the way Zalo does (header only when ``secret_token``)."""
    all_headers = dict(headers or {})
    if secret_token is not None:
        all_headers[SECRET_HEADER] = secret_token
    body = wrap(event) if wrapped else event
    if client is not None:
        return await client.post(url, json=body, headers=all_headers, timeout=http_timeout)
    async with httpx.AsyncClient(timeout=http_timeout) as own:
        return await own.post(url, json=body, headers=all_headers)


# --------------------------------------------------------------------------- server


@dataclass
class RecordedRequest:
    method: str
    payload: dict[str, Any]
    headers: dict[str, str]
    status: int = 0  # HTTP status answered; 0 while pending or when the connection was dropped


@dataclass(frozen=True)
class _Failure:
    status: int  # 0 = drop the connection without answering
    retry_after: int | None = None
    retry_after_header: bool = False
    description: str | None = None
    with_code: bool = True


_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: user is unreachable or blocked the bot",
    404: "Not Found",
    408: "Request timeout",
    409: "Conflict: getUpdates is not available while a webhook is set",
    429: "Quota exceeded",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _ApiError(Exception):
    def __init__(self, status: int, description: str | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.description = description or _DEFAULT_DESCRIPTIONS.get(status, "Error")


@dataclass
class FakeZaloApi:
    """The fake server. Use ``async with FakeZaloApi() as api`` (or ``start()``/``stop()``).

    Attributes:
        token: the only token accepted; others get 401.
        max_poll_seconds: upper bound on how long getUpdates holds a request (tests keep it short).
        require_https_webhook: reject non-HTTPS setWebhook urls, as the platform does.
        sent: ``(chat_id, text)`` of every accepted sendMessage, in order.
        requests: every request received, including failed and dropped ones.
    """

    token: str = DEFAULT_TOKEN
    max_poll_seconds: float | None = None
    require_https_webhook: bool = True
    bot_id: str = DEFAULT_BOT_ID
    sent: list[tuple[str, str]] = field(default_factory=list)
    sent_photos: list[tuple[str, str, str]] = field(default_factory=list)
    sent_stickers: list[tuple[str, str]] = field(default_factory=list)
    chat_actions: list[tuple[str, str]] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    webhook_url: str = ""
    webhook_secret: str | None = None
    blocked_chats: set[str] = field(default_factory=set)
    pending: deque[dict[str, Any]] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self._failures: dict[str, deque[_Failure]] = {}
        self._lose: dict[str, int] = {}
        self._outages: list[tuple[float, frozenset[str], int]] = []
        self._revoked = False
        self.lost_answers = 0
        self._arrived = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._webhook_updated_at = 0

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        # Bind our own socket to learn the random port without private aiohttp attributes.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        self._closing = True
        self._arrived.set()  # wake long polls so shutdown does not wait for them
        runner, self._runner = self._runner, None  # idempotent, also when called concurrently
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """What to pass as the client's ``base_url``."""
        if not self._port:
            raise RuntimeError("FakeZaloApi is not started")
        return f"http://127.0.0.1:{self._port}"

    def url_for(self, method: str, token: str | None = None) -> str:
        return f"{self.base_url}/bot{self.token if token is None else token}/{method}"

    # ----------------------------------------------------------------- test controls

    def push(self, event: dict[str, Any]) -> dict[str, Any]:
        """Queue an event (bare form) for the next getUpdates; returns it."""
        self.pending.append(event)
        self._arrived.set()
        return event

    def push_event(self, event_name: str, *, user_id: str, **kwargs: Any) -> dict[str, Any]:
        return self.push(make_event(event_name, user_id=user_id, **kwargs))

    def push_text(self, user_id: str, text: str, **kwargs: Any) -> dict[str, Any]:
        return self.push(make_text_event(user_id, text, **kwargs))

    def push_image(
        self,
        user_id: str,
        photo_url: str = "https://example.test/p.jpg",
        caption: str = "",
        **kwargs: Any,
    ) -> dict[str, Any]:
        return self.push(make_image_event(user_id, photo_url, caption, **kwargs))

    def push_sticker(
        self, user_id: str, sticker: str = "0e078a2fb66a5f34067b", **kwargs: Any
    ) -> dict[str, Any]:
        return self.push(make_sticker_event(user_id, sticker, **kwargs))

    def push_unsupported(self, user_id: str, **kwargs: Any) -> dict[str, Any]:
        return self.push(make_unsupported_event(user_id, **kwargs))

    def push_voice(self, user_id: str, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("url", "https://voice.example.test/v.aac")
        return self.push(make_event("message.voice.received", user_id=user_id, **kwargs))

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        retry_after_header: bool = False,
        description: str | None = None,
        with_code: bool = True,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with error ``status``.

        For 429, ``retry_after`` goes into ``parameters.retry_after`` or, with
        ``retry_after_header``, into a ``Retry-After`` header. ``with_code=False``: the
        body has no ``error_code`` (``status=200`` then gives ``{"ok": false}`` on HTTP 200).
        """
        failure = _Failure(status, retry_after, retry_after_header, description, with_code)
        self._failures.setdefault(method, deque()).extend([failure] * times)

    def drop_next(self, method: str, *, times: int = 1) -> None:
        """Close the connection without an answer on the next ``times`` calls of ``method``."""
        self._failures.setdefault(method, deque()).extend([_Failure(0)] * times)

    def lose_next(self, method: str, *, times: int = 1) -> None:
        """Carry out the next ``times`` calls of ``method`` (a message is delivered), then
        close the connection without the answer: the client cannot know it worked."""
        self._lose[method] = self._lose.get(method, 0) + times

    def fail_during(
        self, seconds: float, *, methods: tuple[str, ...] = ("sendMessage",), status: int = 500
    ) -> None:
        """An outage: calls of ``methods`` answer ``status`` for ``seconds`` from now."""
        self._outages.append((time.monotonic() + seconds, frozenset(methods), status))

    def revoke_token(self) -> None:
        """Every call answers 401 (the token was reset in Zalo Bot Creator)."""
        self._revoked = True

    def restore_token(self) -> None:
        self._revoked = False

    def block(self, chat_id: str) -> None:
        """The person blocked the bot: sends to them answer 403."""
        self.blocked_chats.add(chat_id)

    def calls(self, method: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method]

    # ----------------------------------------------------------------- HTTP

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        match = _PATH.match(request.path)
        if request.method != "POST" or match is None:
            return _error(404)
        if match["token"] != self.token or self._revoked:
            return _error(401)
        method = match["method"]
        try:
            raw = await request.read()
            payload: Any = {} if not raw.strip() else await request.json()
        except ValueError:
            payload = None
        record = RecordedRequest(
            method,
            payload if isinstance(payload, dict) else {},
            {k: v for k, v in request.headers.items() if k.lower() != "host"},
        )
        self.requests.append(record)
        if not isinstance(payload, dict):
            record.status = 400
            return _error(400, "Bad Request: body must be a JSON object")

        scripted = self._failures.get(method)
        if scripted:
            failure = scripted.popleft()
            if failure.status == 0:
                assert request.transport is not None
                request.transport.close()
                return web.Response()  # never reaches the client
            record.status = failure.status
            return _error(
                failure.status,
                failure.description,
                failure.retry_after,
                failure.retry_after_header,
                with_code=failure.with_code,
            )

        now = time.monotonic()
        self._outages = [o for o in self._outages if o[0] > now]
        for _, methods, status in self._outages:
            if method in methods:
                record.status = status
                return _error(status)

        handler = self._methods().get(method)
        if handler is None:
            record.status = 404
            return _error(404, f"Not Found: method {method}")
        try:
            result = await handler(payload, request)
        except _ApiError as exc:
            record.status = exc.status
            return _error(exc.status, exc.description)
        if self._lose.get(method, 0) > 0:  # done, but the answer never arrives
            self._lose[method] -= 1
            self.lost_answers += 1
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        record.status = 200
        body: dict[str, Any] = {"ok": True}
        if result is not None:
            body["result"] = result
        return web.json_response(body)

    def _methods(self) -> dict[str, Any]:
        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendSticker": self._send_sticker,
            "sendChatAction": self._send_chat_action,
        }

    async def _get_me(self, payload: dict[str, Any], request: web.Request) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "account_name": "bot.YouthFake",
            "account_type": "BASIC",
            "can_join_groups": False,
        }

    async def _get_updates(self, payload: dict[str, Any], request: web.Request) -> Any:
        if self.webhook_url:
            raise _ApiError(409)
        raw_timeout = payload.get("timeout", "30")
        try:
            timeout = float(raw_timeout)
        except (TypeError, ValueError):
            raise _ApiError(400, "Bad Request: timeout must be a number of seconds") from None
        if self.max_poll_seconds is not None:
            timeout = min(timeout, self.max_poll_seconds)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(timeout, 0.0)
        while not self._closing:
            if self.pending:
                event = self.pending.popleft()
                transport = request.transport
                if transport is None or transport.is_closing():
                    self.pending.appendleft(event)  # the poller went away: keep it for the next
                    break
                return event
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                break
        raise _ApiError(408)

    async def _set_webhook(self, payload: dict[str, Any], request: web.Request) -> dict[str, Any]:
        url = payload.get("url")
        secret = payload.get("secret_token")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise _ApiError(400, "Bad Request: url is invalid")
        if self.require_https_webhook and not url.startswith("https://"):
            raise _ApiError(400, "Bad Request: url must use HTTPS")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            raise _ApiError(400, "Bad Request: secret_token must be 8-256 characters")
        self.webhook_url, self.webhook_secret = url, secret
        self._webhook_updated_at = now_ms()
        return {"url": url, "updated_at": self._webhook_updated_at}

    async def _delete_webhook(self, payload: dict[str, Any], request: web.Request) -> Any:
        self.webhook_url, self.webhook_secret = "", None
        self._webhook_updated_at = now_ms()
        return {"url": "", "updated_at": self._webhook_updated_at}

    async def _get_webhook_info(self, payload: dict[str, Any], request: web.Request) -> Any:
        return {"url": self.webhook_url, "updated_at": self._webhook_updated_at}

    def _chat_id(self, payload: dict[str, Any]) -> str:
        chat_id = payload.get("chat_id")
        if not isinstance(chat_id, str) or not chat_id:
            raise _ApiError(400, "Bad Request: chat_id is required")
        if chat_id in self.blocked_chats:
            raise _ApiError(403)
        return chat_id

    async def _send_message(self, payload: dict[str, Any], request: web.Request) -> Any:
        chat_id = self._chat_id(payload)
        text = payload.get("text")
        if not isinstance(text, str) or not 1 <= _utf16_len(text) <= MAX_TEXT:
            raise _ApiError(400, f"Bad Request: text must be 1-{MAX_TEXT} characters")
        self.sent.append((chat_id, text))
        return {"message_id": new_id(), "date": now_ms()}

    async def _send_photo(self, payload: dict[str, Any], request: web.Request) -> Any:
        chat_id = self._chat_id(payload)
        photo = payload.get("photo")
        caption = payload.get("caption", "")
        if not isinstance(photo, str) or not photo.startswith(("https://", "http://")):
            raise _ApiError(400, "Bad Request: photo must be a URL")
        if not isinstance(caption, str) or _utf16_len(caption) > MAX_TEXT:
            raise _ApiError(400, f"Bad Request: caption must be at most {MAX_TEXT} characters")
        self.sent_photos.append((chat_id, photo, caption))
        return {"message_id": new_id(), "date": now_ms()}

    async def _send_sticker(self, payload: dict[str, Any], request: web.Request) -> Any:
        chat_id = self._chat_id(payload)
        sticker = payload.get("sticker")
        if not isinstance(sticker, str) or not sticker:
            raise _ApiError(400, "Bad Request: sticker is required")
        self.sent_stickers.append((chat_id, sticker))
        return {"message_id": new_id(), "date": now_ms()}

    async def _send_chat_action(self, payload: dict[str, Any], request: web.Request) -> None:
        chat_id = self._chat_id(payload)
        action = payload.get("action")
        if action not in _CHAT_ACTIONS:
            raise _ApiError(400, "Bad Request: unknown action")
        self.chat_actions.append((chat_id, str(action)))
        # The platform answers just {"ok": true} here.


def _error(
    status: int,
    description: str | None = None,
    retry_after: int | None = None,
    retry_after_header: bool = False,
    *,
    with_code: bool = True,
) -> web.Response:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": status,
        "description": description or _DEFAULT_DESCRIPTIONS.get(status, "Error"),
    }
    if not with_code:
        del body["error_code"]
    headers: dict[str, str] = {}
    if retry_after is not None:
        if retry_after_header:
            headers["Retry-After"] = str(retry_after)
        else:
            body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status, headers=headers)
