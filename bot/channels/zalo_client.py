"""A small, typed async client for the Zalo Bot Platform (bots made in "Zalo Bot Creator").

Every call is ``POST {base_url}/bot{token}/{method}`` with a JSON body; answers are
``{ok, result, description, error_code}``. See ``../shared/CHANNELS.md`` for the platform facts.

The token is part of every URL, so it is kept out of exception messages, reprs and logs
(including httpx's own "HTTP Request: POST <url>" log line, which a logging filter rewrites).
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Literal, Self
from urllib.parse import quote

import httpx
from pydantic import SecretStr

__all__ = [
    "CHAT_METHODS",
    "DEFAULT_BASE_URL",
    "MAX_TEXT_LENGTH",
    "RetryPolicy",
    "ZaloBotInfo",
    "ZaloClient",
    "ZaloError",
    "ZaloForbidden",
    "ZaloMessage",
    "ZaloNetworkError",
    "ZaloRateLimited",
    "ZaloSentMessage",
    "ZaloUnauthorized",
    "ZaloUpdate",
    "ZaloUser",
    "ZaloWebhookInfo",
    "parse_update",
    "zalo_text_length",
]

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final = "https://bot-api.zaloplatforms.com"
MAX_TEXT_LENGTH: Final = 2000
SECRET_TOKEN_MIN: Final = 8
SECRET_TOKEN_MAX: Final = 256
_REDACTED: Final = "<redacted>"
#: Methods addressed to one chat: only there does a 403 mean "this person cannot be reached".
CHAT_METHODS: Final = frozenset({"sendMessage", "sendPhoto", "sendSticker", "sendChatAction"})
_EVENT_NAME = re.compile(r"^message\.[a-z0-9_]+\.received$")
# Epoch values above this are milliseconds (the platform's unit); below, seconds.
_EPOCH_MS_THRESHOLD: Final = 100_000_000_000

SleepFn = Callable[[float], Awaitable[None]]


# --------------------------------------------------------------------------- errors


class ZaloError(Exception):
    """A failed Zalo Bot API call. ``error_code`` is the platform's code (or HTTP status)."""

    def __init__(self, error_code: int | None, description: str, *, method: str = "") -> None:
        self.error_code = error_code
        self.description = description
        self.method = method
        where = f"Zalo {method}" if method else "Zalo"
        code = f" [{error_code}]" if error_code is not None else ""
        super().__init__(f"{where} failed{code}: {description}")

    @property
    def retryable(self) -> bool:
        """Whether the client tries again at once, with backoff (429, 408, 5xx)."""
        code = self.error_code
        return code is not None and (code >= 500 or code in (408, 429))

    @property
    def bad_request(self) -> bool:
        """400: the platform refused this request of ours (a text too long, say)."""
        return self.error_code == 400

    @property
    def unknown(self) -> bool:
        """A code this client does not know (or ``ok: false`` without one): not the
        message's fault as far as we can tell, so nothing is given up because of it."""
        code = self.error_code
        return code is not None and not (code >= 500 or code in (400, 401, 403, 404, 408, 429))


class ZaloRateLimited(ZaloError):
    """HTTP/error code 429 ("Quota exceeded"); ``retry_after`` in seconds when the platform said."""

    def __init__(
        self,
        retry_after: float | None,
        description: str = "Quota exceeded",
        *,
        method: str = "",
        error_code: int = 429,
    ) -> None:
        super().__init__(error_code, description, method=method)
        self.retry_after = retry_after


class ZaloForbidden(ZaloError):
    """403: the person blocked the bot or cannot be reached. Not retried."""


class ZaloUnauthorized(ZaloError):
    """Our token or configuration is wrong: 401 (the token is wrong or was reset in Zalo Bot
    Creator), 404 (no such bot or API address: the token or ``ZALO_API_BASE_URL``), or a 403
    to a call that names nobody (getMe, getUpdates...). Not retried; nothing is the fault of
    the message or of the person it was for."""


class ZaloNetworkError(ZaloError):
    """No usable HTTP answer: connection refused or dropped, timeout, malformed response.

    ``lost``: the request went out and its answer did not come back (the platform may have
    done the work).
    """

    def __init__(self, description: str, *, method: str = "", lost: bool = False) -> None:
        super().__init__(None, description, method=method)
        self.lost = lost

    @property
    def retryable(self) -> bool:
        return True


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class ZaloUser:
    id: str
    # Personal data stays out of reprs so that logging an update does not copy it into logs.
    display_name: str = field(repr=False)
    is_bot: bool = False


@dataclass(frozen=True, slots=True)
class ZaloMessage:
    """One incoming message. Ids are opaque hex strings.

    ``message_id`` is ``""`` when the platform left it out; do not de-duplicate on it then.
    """

    message_id: str
    chat_id: str
    chat_type: str
    sender: ZaloUser
    text: str | None = field(default=None, repr=False)
    date: datetime | None = None
    photo_url: str | None = field(default=None, repr=False)
    caption: str | None = field(default=None, repr=False)
    sticker: str | None = None
    media_url: str | None = field(default=None, repr=False)
    message_type: str | None = None


@dataclass(frozen=True, slots=True)
class ZaloUpdate:
    event_name: str
    message: ZaloMessage
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def kind(self) -> str:
        """The middle of the event name: ``text``, ``image``, ``sticker``, ``unsupported``..."""
        return self.event_name.split(".")[1]


@dataclass(frozen=True, slots=True)
class ZaloBotInfo:
    id: str
    account_name: str
    account_type: str | None = None
    can_join_groups: bool = False
    display_name: str | None = None


@dataclass(frozen=True, slots=True)
class ZaloWebhookInfo:
    url: str
    updated_at: datetime | None = None

    @property
    def is_set(self) -> bool:
        return bool(self.url)


@dataclass(frozen=True, slots=True)
class ZaloSentMessage:
    message_id: str
    date: datetime | None = None


# --------------------------------------------------------------------------- parsing


def zalo_text_length(text: str) -> int:
    """Length as the platform is assumed to count it: UTF-16 code units.

    An emoji outside the BMP counts 2. For NFC Vietnamese this equals ``len(text)``; counting
    UTF-16 units errs on the safe side if the platform counts like Java/JavaScript strings.
    """
    return len(text.encode("utf-16-le")) // 2


def _as_id(value: object, what: str) -> str:
    if isinstance(value, str) and value:
        return value
    # Ids are strings on the wire; accept numbers too rather than fail on a platform change.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"Zalo event has no usable {what}")


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _parse_epoch(value: object) -> datetime | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if not isinstance(value, int | float):
        return None
    seconds = value / 1000 if value >= _EPOCH_MS_THRESHOLD else value
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _infer_event_name(message: Mapping[str, Any]) -> str:
    # The platform's documented getUpdates sample has no event_name: infer it from the content.
    if isinstance(message.get("text"), str):
        return "message.text.received"
    if message.get("photo_url") or message.get("photo"):
        return "message.image.received"
    if message.get("sticker") or message.get("sticker_id"):
        return "message.sticker.received"
    return "message.unsupported.received"


def parse_update(body: Mapping[str, Any]) -> ZaloUpdate:
    """Turn a getUpdates result or a webhook body into a :class:`ZaloUpdate`.

    Accepts both the wrapped form ``{"ok": true, "result": {...event...}}`` and the bare event
    ``{"event_name": ..., "message": {...}}``; optional fields may be missing.

    Raises:
        ValueError: the body is not a message event (or is an error answer).
    """
    if not isinstance(body, Mapping):
        raise ValueError("Zalo event body must be a JSON object")
    event: object = body
    if "ok" in body and "message" not in body:
        if body.get("ok") is not True:
            raise ValueError(
                f"Zalo answer is an error, not an event: {body.get('error_code')!r} "
                f"{body.get('description')!r}"
            )
        event = body.get("result")
    if not isinstance(event, Mapping):
        raise ValueError("Zalo event has no event object")
    message = event.get("message")
    if not isinstance(message, Mapping):
        raise ValueError("Zalo event has no 'message' object")

    event_name = event.get("event_name")
    if event_name is None:
        event_name = _infer_event_name(message)
    if not isinstance(event_name, str) or not _EVENT_NAME.match(event_name):
        raise ValueError(f"not a Zalo message event: event_name={event_name!r}")

    sender_raw = message.get("from")
    if not isinstance(sender_raw, Mapping):
        raise ValueError("Zalo event has no 'message.from' object")
    sender_id = _as_id(sender_raw.get("id"), "message.from.id")
    display_name = (
        _opt_str(sender_raw.get("display_name"))
        or _opt_str(sender_raw.get("first_name"))
        or _opt_str(sender_raw.get("name"))
        or ""
    )
    sender = ZaloUser(
        id=sender_id, display_name=display_name, is_bot=sender_raw.get("is_bot") is True
    )

    chat_raw = message.get("chat")
    chat: Mapping[str, Any] = chat_raw if isinstance(chat_raw, Mapping) else {}
    # In a private chat the chat id is the sender's id: fall back to it when chat is missing.
    chat_id = _as_id(chat["id"], "message.chat.id") if chat.get("id") else sender_id
    chat_type = _opt_str(chat.get("chat_type")) or "PRIVATE"

    raw_message_id = message.get("message_id")
    message_id = "" if raw_message_id in (None, "") else _as_id(raw_message_id, "message_id")
    text = message.get("text")

    parsed = ZaloMessage(
        message_id=message_id,
        chat_id=chat_id,
        chat_type=chat_type,
        sender=sender,
        text=text if isinstance(text, str) else None,
        date=_parse_epoch(message.get("date")),
        photo_url=_opt_str(message.get("photo_url")) or _opt_str(message.get("photo")),
        caption=_opt_str(message.get("caption")),
        sticker=_opt_str(message.get("sticker")) or _opt_str(message.get("sticker_id")),
        media_url=_opt_str(message.get("url")),
        message_type=_opt_str(message.get("message_type")),
    )
    return ZaloUpdate(event_name=event_name, message=parsed, raw=dict(event))


def _parse_bot_info(result: object) -> ZaloBotInfo:
    if not isinstance(result, Mapping):
        raise ZaloNetworkError("getMe answer has no result object", method="getMe")
    return ZaloBotInfo(
        id=_as_id(result.get("id"), "bot id"),
        account_name=_opt_str(result.get("account_name")) or _opt_str(result.get("name")) or "",
        account_type=_opt_str(result.get("account_type")),
        can_join_groups=result.get("can_join_groups") is True,
        display_name=_opt_str(result.get("display_name")),
    )


def _parse_webhook_info(result: object) -> ZaloWebhookInfo:
    data: Mapping[str, Any] = result if isinstance(result, Mapping) else {}
    url = data.get("url")
    return ZaloWebhookInfo(
        url=url if isinstance(url, str) else "", updated_at=_parse_epoch(data.get("updated_at"))
    )


def _parse_sent(result: object) -> ZaloSentMessage:
    data: Mapping[str, Any] = result if isinstance(result, Mapping) else {}
    raw_id = data.get("message_id")
    message_id = "" if raw_id in (None, "") else _as_id(raw_id, "message_id")
    return ZaloSentMessage(message_id=message_id, date=_parse_epoch(data.get("date")))


# --------------------------------------------------------------------------- retries


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Capped exponential backoff with jitter.

    Attributes:
        max_attempts: total tries per call (1 = no retry).
        base_delay: delay after the first failure, doubled after each further one.
        max_delay: cap on one backoff delay.
        jitter: spread delays randomly in ``[d/2, d]`` so restarted bots do not retry in
            lock-step; ``False`` gives exact, deterministic delays.
        max_retry_after: a 429 asking to wait longer than this is raised to the caller at once
            (the outbox reschedules) instead of blocking the call.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: bool = True
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("delays must not be negative")

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Delay before retrying after failed attempt number ``attempt`` (1-based)."""
        delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return rng.uniform(delay / 2, delay) if self.jitter else delay


class _RedactTokenFilter(logging.Filter):
    """Rewrites records that contain the token (httpx logs every request URL at INFO)."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self._secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self._secrets):
            for secret in self._secrets:
                message = message.replace(secret, _REDACTED)
            record.msg, record.args = message, None
        return True


def _retry_after_from(body: Mapping[str, Any], response: httpx.Response) -> float | None:
    parameters = body.get("parameters")
    if isinstance(parameters, Mapping):
        value = parameters.get("retry_after")
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return float(value)
    header = response.headers.get("Retry-After")
    if header is not None:
        try:
            seconds = float(header)
        except ValueError:
            return None  # HTTP-date form: fall back to our own backoff
        return seconds if seconds >= 0 else None
    return None


# --------------------------------------------------------------------------- client


class _NoUpdate(Exception):
    """getUpdates answered 408: nothing arrived during the long poll."""


class ZaloClient:
    """Async client for the Zalo Bot Platform.

    Args:
        token: the bot token from Zalo Bot Creator (``str`` or ``SecretStr``).
        http: an ``httpx.AsyncClient`` to use; if ``None`` the client makes (and closes) its own.
        base_url: API host, without the ``/bot<token>`` part.
        timeout: seconds for connect/read/write/pool of ordinary calls.
        poll_margin: extra read time on top of a long poll's ``timeout`` so that httpx does not
            give up before the platform answers 408.
        retry: backoff policy for 429, 408, 5xx and network errors.
        sleep: awaited between retries (inject a recorder in tests).
        rng: random source for jitter (seed it for reproducible delays).
    """

    def __init__(
        self,
        token: str | SecretStr,
        *,
        http: httpx.AsyncClient | None = None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        poll_margin: float = 10.0,
        retry: RetryPolicy | None = None,
        sleep: SleepFn = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        secret = token if isinstance(token, SecretStr) else SecretStr(token)
        value = secret.get_secret_value()
        if not value or "/" in value or any(ch.isspace() for ch in value):
            # Message deliberately does not echo the value.
            raise ValueError("Zalo bot token is empty or malformed")
        self._token = secret
        self._base_url = base_url.rstrip("/")
        self._timeout = httpx.Timeout(timeout)
        self._poll_margin = poll_margin
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(timeout=self._timeout)
        self._secrets = tuple({value, quote(value, safe=""), quote(value, safe=":")})
        self._log_filter = _RedactTokenFilter(self._secrets)
        logging.getLogger("httpx").addFilter(self._log_filter)
        self._closed = False

    def __repr__(self) -> str:
        return f"ZaloClient(base_url={self._base_url!r}, token={_REDACTED!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        logging.getLogger("httpx").removeFilter(self._log_filter)
        if self._owns_http:
            await self._http.aclose()

    # ----------------------------------------------------------------- API methods

    async def get_me(self) -> ZaloBotInfo:
        return _parse_bot_info(await self._call("getMe", {}))

    # `timeout` is the platform's long-poll parameter, not a deadline for this coroutine.
    async def get_updates(self, timeout: int = 30) -> ZaloUpdate | None:  # noqa: ASYNC109
        """Long-poll for the next update; ``None`` when nothing arrived within ``timeout`` s.

        The platform returns **one** update per call and has no offset.

        Raises:
            ValueError: the platform returned a body that is not a message event.
        """
        if timeout < 0:
            raise ValueError("timeout must not be negative")
        # httpx must wait longer than the platform holds the request open.
        poll_timeout = self._timeout.as_dict()
        poll_timeout["read"] = timeout + self._poll_margin
        try:
            result = await self._call(
                "getUpdates",
                {"timeout": str(timeout)},
                http_timeout=httpx.Timeout(**poll_timeout),
                empty_on_408=True,
            )
        except _NoUpdate:
            return None
        if result is None:
            return None
        return parse_update({"ok": True, "result": result})

    async def set_webhook(self, url: str, secret_token: str | SecretStr) -> ZaloWebhookInfo:
        """Register an HTTPS webhook; Zalo sends ``secret_token`` as ``X-Bot-Api-Secret-Token``."""
        if not url.startswith("https://"):
            raise ValueError("webhook url must be an https:// URL")
        secret = (
            secret_token.get_secret_value() if isinstance(secret_token, SecretStr) else secret_token
        )
        if not SECRET_TOKEN_MIN <= len(secret) <= SECRET_TOKEN_MAX:
            raise ValueError(
                f"webhook secret_token must be {SECRET_TOKEN_MIN}-{SECRET_TOKEN_MAX} characters"
            )
        # It travels in an HTTP header: visible ASCII only.
        if not all("!" <= ch <= "~" for ch in secret):
            raise ValueError("webhook secret_token must be visible ASCII without spaces")
        result = await self._call("setWebhook", {"url": url, "secret_token": secret})
        return _parse_webhook_info(result)

    async def delete_webhook(self) -> ZaloWebhookInfo:
        return _parse_webhook_info(await self._call("deleteWebhook", {}))

    async def get_webhook_info(self) -> ZaloWebhookInfo:
        return _parse_webhook_info(await self._call("getWebhookInfo", {}))

    async def send_message(
        self, chat_id: str, text: str, *, lost: Callable[[], None] | None = None
    ) -> ZaloSentMessage:
        """Send plain text (1-2,000 characters; longer text must be split by the caller).

        ``lost`` is called when a try's answer was lost after the request went out (a read
        timeout, a dropped connection): the platform may have delivered it, so the retry
        (or the caller's) may show the message twice.
        """
        _check_chat_id(chat_id)
        _check_text(text, "text")
        payload = {"chat_id": chat_id, "text": text}
        return _parse_sent(await self._call("sendMessage", payload, lost=lost))

    async def send_photo(self, chat_id: str, photo_url: str, caption: str = "") -> ZaloSentMessage:
        """Send a photo by URL (the platform does not take uploads)."""
        _check_chat_id(chat_id)
        if not photo_url.startswith(("https://", "http://")):
            raise ValueError("photo_url must be an http(s) URL")
        payload = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            _check_text(caption, "caption")
            payload["caption"] = caption
        return _parse_sent(await self._call("sendPhoto", payload))

    async def send_sticker(self, chat_id: str, sticker: str) -> ZaloSentMessage:
        _check_chat_id(chat_id)
        if not sticker:
            raise ValueError("sticker id must not be empty")
        return _parse_sent(
            await self._call("sendSticker", {"chat_id": chat_id, "sticker": sticker})
        )

    async def send_chat_action(
        self, chat_id: str, action: Literal["typing", "upload_photo"] = "typing"
    ) -> None:
        _check_chat_id(chat_id)
        await self._call("sendChatAction", {"chat_id": chat_id, "action": action})

    # ----------------------------------------------------------------- transport

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, _REDACTED)
        return text

    async def _call(
        self,
        method: str,
        payload: Mapping[str, Any],
        *,
        http_timeout: httpx.Timeout | None = None,
        empty_on_408: bool = False,
        lost: Callable[[], None] | None = None,
    ) -> Any:
        if self._closed:
            raise RuntimeError("ZaloClient is closed")
        url = f"{self._base_url}/bot{self._token.get_secret_value()}/{method}"
        policy = self._retry
        for attempt in range(1, policy.max_attempts + 1):
            error: ZaloError
            try:
                response = await self._http.post(
                    url, json=dict(payload), timeout=http_timeout or self._timeout
                )
                return self._interpret(method, response, empty_on_408=empty_on_408)
            except httpx.TransportError as exc:
                # A send that timed out after reaching Zalo may be delivered twice on retry;
                # the platform has no idempotency key, and losing a reply is worse: the
                # caller is told (``lost``) so that it can mark the message.
                error = ZaloNetworkError(
                    self._redact(f"{type(exc).__name__}: {exc}".rstrip(": ")),
                    method=method,
                    lost=not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout),
                )
                if lost is not None and error.lost:
                    lost()
            except ZaloError as exc:
                error = exc
            if not error.retryable or attempt == policy.max_attempts:
                # "from None": httpx exceptions carry the request, whose repr holds the URL.
                raise error from None
            delay = policy.backoff(attempt, self._rng)
            if isinstance(error, ZaloRateLimited) and error.retry_after is not None:
                if error.retry_after > policy.max_retry_after:
                    raise error from None
                delay = error.retry_after
            logger.warning(
                "Zalo %s failed (%s); retry %d/%d in %.2fs",
                method,
                error.description if error.error_code is None else error.error_code,
                attempt,
                policy.max_attempts - 1,
                delay,
            )
            await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _interpret(self, method: str, response: httpx.Response, *, empty_on_408: bool) -> Any:
        try:
            body: object = response.json()
        except ValueError:
            body = None
        if not isinstance(body, Mapping):
            if response.status_code == 408 and empty_on_408:
                raise _NoUpdate
            snippet = self._redact(response.text[:200]) or response.reason_phrase
            raise _error_for(response.status_code, snippet, method, {}, response)
        if body.get("ok") is True and response.is_success:
            return body.get("result")

        raw_code = body.get("error_code")
        code = (
            raw_code
            if isinstance(raw_code, int) and not isinstance(raw_code, bool)
            else response.status_code
        )
        if (code == 408 or response.status_code == 408) and empty_on_408:
            raise _NoUpdate
        description = body.get("description")
        text = (
            self._redact(description)
            if isinstance(description, str) and description
            else response.reason_phrase or "unknown error"
        )
        # An HTTP 401/403/404/429 wins over a differing body code: never misfiled.
        if response.status_code in (401, 403, 404, 429) and code != response.status_code:
            code = response.status_code
        raise _error_for(code, text, method, body, response)


def _error_for(
    code: int, description: str, method: str, body: Mapping[str, Any], response: httpx.Response
) -> ZaloError:
    if code == 429:
        return ZaloRateLimited(
            _retry_after_from(body, response), description, method=method, error_code=code
        )
    if code == 401:
        return ZaloUnauthorized(code, description, method=method)
    if code == 404:
        # The URL holds the token: "not found" is a token or an API address that is wrong,
        # never a person (a send to them is the same URL as any other send).
        return ZaloUnauthorized(
            code, f"{description} (the bot token or ZALO_API_BASE_URL is wrong)", method=method
        )
    if code == 403:
        if method in CHAT_METHODS:
            return ZaloForbidden(code, description, method=method)
        return ZaloUnauthorized(code, description, method=method)  # the bot itself refused
    return ZaloError(code, description, method=method)


def _check_chat_id(chat_id: str) -> None:
    if not isinstance(chat_id, str) or not chat_id:
        raise ValueError("chat_id must be a non-empty string")


def _check_text(text: str, what: str) -> None:
    if not text.strip():
        raise ValueError(f"{what} must not be empty")
    length = zalo_text_length(text)
    if length > MAX_TEXT_LENGTH:
        raise ValueError(f"{what} is {length} characters; Zalo allows at most {MAX_TEXT_LENGTH}")
