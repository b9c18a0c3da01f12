"""A fake Telegram Bot API server on 127.0.0.1 for tests.

python-telegram-bot's real HTTP stack (``HTTPXRequest``) talks to it over loopback::

    async with FakeTelegramAPI() as api:
        app = (
            Application.builder()
            .token(api.token)
            .base_url(api.bot_url)
            .base_file_url(api.file_url)
            .build()
        )

PTB forms request URLs as ``base_url + token + "/" + method`` (``_parse_base_url`` appends the
token unless the base URL contains ``{token}``) and sends every parameter as a form field whose
value is the JSON encoding of the parameter, except plain strings, which are sent raw. Without
files the body is ``application/x-www-form-urlencoded``; with files it is
``multipart/form-data`` (the file under the parameter's name, or under an ``attach://`` name).
This server accepts JSON, form and multipart bodies and query strings, and decodes the form
values back into JSON types.

The fake records every request (:attr:`FakeTelegramAPI.calls`), lets tests inject updates
(``push_*``), script failures (:meth:`FakeTelegramAPI.fail_next`,
:meth:`FakeTelegramAPI.fail_during`, :meth:`FakeTelegramAPI.lose_next`,
:meth:`FakeTelegramAPI.revoke_token`, :meth:`FakeTelegramAPI.block_chat`,
:meth:`FakeTelegramAPI.delay`) and optionally enforces Telegram's flood limits
(:class:`RateLimits`).

Faults as Telegram's side shows them: a 5xx may come as JSON or as an HTML page from the
front end (``html=True``); a *lost answer* is a request carried out whose answer never
reaches the client (the connection drops after the work, :meth:`~FakeTelegramAPI.lose_next`;
or the answer comes after the client's timeout, :meth:`~FakeTelegramAPI.delay`).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import math
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Self

import httpx
from aiohttp import BodyPartReader, web

__all__ = [
    "DEFAULT_TOKEN",
    "BotApiError",
    "FakeTelegramAPI",
    "RateLimits",
    "RecordedCall",
    "UploadedFile",
    "check_telegram_html",
]

DEFAULT_TOKEN = "123456789:TEST-token_youthbot"
BOT_USERNAME = "youthbot_test_bot"

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64

Json = dict[str, Any]
ChatId = int | str

# Parameters whose form-encoded value is a raw string even when it looks like JSON.
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "callback_query_id",
        "url",
        "secret_token",
        "parse_mode",
        "language_code",
        "action",
        "data",
        "description",
        "short_description",
        "name",
        "title",
        "inline_message_id",
        "ip_address",
        "emoji",
        "query",
        "file_id",
        "document",
        "photo",
        "business_connection_id",
        "message_effect_id",
    }
)

# Methods that deliver something to a chat: blocked chats refuse them.
_CHAT_METHODS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendChatAction",
        "editMessageText",
        "editMessageReplyMarkup",
    }
)
# Methods that count towards the flood limits.
_RATE_LIMITED_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
# Update types Telegram leaves out unless asked for in ``allowed_updates``.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_CURRENT_REQUEST: ContextVar[web.Request] = ContextVar("fake_telegram_request")

_STATUS_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class BotApiError(Exception):
    """An error answer of the Bot API, raised inside method handlers."""

    def __init__(self, status: int, description: str, parameters: Json | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> Json:
        """The JSON answer Telegram sends for this error."""
        answer: Json = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            answer["parameters"] = self.parameters
        return answer


def _bad_request(detail: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {detail}")


def _too_many_requests(retry_after: float) -> BotApiError:
    shown = int(retry_after) if float(retry_after).is_integer() else retry_after
    return BotApiError(429, f"Too Many Requests: retry after {shown}", {"retry_after": shown})


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass
class RecordedCall:
    """One request the fake received.

    ``time`` is :func:`time.monotonic`; ``content_type`` is one of ``"json"``, ``"form"``,
    ``"multipart"`` or ``"empty"``; ``status`` and ``response`` are filled once answered.
    """

    method: str
    params: Json
    time: float
    files: dict[str, UploadedFile] = field(default_factory=dict)
    content_type: str = "empty"
    status: int | None = None
    response: Json | None = None
    client_gone: bool = False
    """The client had closed the connection when the answer was ready (it timed out or was
    cancelled); the request was still carried out."""
    scripted: bool = False
    """The error answer was one a test asked for (:meth:`FakeTelegramAPI.fail_next`, a
    blocked chat, flood limits), not a refusal of what the bot asked."""

    @property
    def ok(self) -> bool:
        return self.status == 200

    def describe(self) -> str:
        keys = ("chat_id", "message_id", "text", "caption", "offset", "callback_query_id")
        shown = ", ".join(
            f"{key}={_shorten(self.params[key])!r}" for key in keys if key in self.params
        )
        files = ", ".join(f"{f.field}={f.filename}({f.size}B)" for f in self.files.values())
        extra = f" files[{files}]" if files else ""
        gone = " (client gone)" if self.client_gone else ""
        return f"{self.method}({shown}){extra} -> {self.status}{gone}"


@dataclass
class RateLimits:
    """Flood limits the fake enforces on send methods.

    ``scale`` multiplies every limit (``scale=10``: 300 messages/s overall, 10/s per chat).
    ``tolerance`` relaxes each limit by that fraction (jitter allowance). Real Telegram answers
    whole seconds in ``retry_after``; with ``fractional_retry_after`` the fake answers the exact
    wait (a float, rounded up to milliseconds), handy with a large ``scale``.
    """

    global_per_second: float = 30.0
    per_chat_per_second: float = 1.0
    per_group_per_minute: float = 20.0
    scale: float = 1.0
    tolerance: float = 0.1
    fractional_retry_after: bool = False


@dataclass
class _FailRule:
    method: str
    status: int
    retry_after: float | None
    description: str | None
    times: int | None  # None: until ``until``
    html: bool = False
    until: float | None = None  # time.monotonic() after which the rule is gone
    methods: frozenset[str] = frozenset()  # several methods (fail_during); empty: ``method``

    def matches(self, method: str) -> bool:
        if self.methods:
            return method in self.methods
        return self.method in ("*", method)


class _HtmlError(Exception):
    """A 5xx answered with an HTML page (a proxy or Telegram's front end), not JSON."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


_HTML_PAGE = (
    "<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass
class _DelayRule:
    seconds: float
    method: str | None
    times: int | None


# --------------------------------------------------------------------------------------------
# Telegram HTML check
# --------------------------------------------------------------------------------------------

_HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "tg-spoiler",
        "span",
        "blockquote",
        "tg-emoji",
    }
)
_TAG_RE = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9-]*)"
    r"((?:\s+[A-Za-z_:][-A-Za-z0-9_:.]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'<>=`]+))?)*)"
    r"\s*>"
)
_ENTITY_RE = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});")


def check_telegram_html(text: str) -> str | None:
    """Check ``text`` against Telegram's HTML parse mode, a little stricter than Telegram.

    Allowed tags: b/strong, i/em, u/ins, s/strike/del, a, code, pre, tg-spoiler,
    span class="tg-spoiler", blockquote, tg-emoji. ``&``, ``<`` and ``>`` outside tags must be
    escaped (``&amp;`` ``&lt;`` ``&gt;`` ``&quot;`` or numeric). Returns ``None`` when valid,
    otherwise the reason (the part after "Bad Request: can't parse entities: ").
    """
    stack: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        offset = len(text[:index].encode("utf-8"))
        if char == "<":
            match = _TAG_RE.match(text, index)
            if match is None:
                return f"unclosed start tag at byte offset {offset}"
            closing, name, attributes = match.group(1), match.group(2).lower(), match.group(3)
            if name not in _HTML_TAGS:
                kind = "end" if closing else "start"
                return f'unsupported {kind} tag "{name}" at byte offset {offset}'
            if closing:
                if not stack:
                    return f'unexpected end tag "{name}" at byte offset {offset}'
                expected = stack.pop()
                if expected != name:
                    return (
                        f"unmatched end tag at byte offset {offset}, "
                        f'expected "</{expected}>", found "</{name}>"'
                    )
            else:
                if name == "span" and "tg-spoiler" not in attributes:
                    return f'tag "span" must have class "tg-spoiler" at byte offset {offset}'
                stack.append(name)
            index = match.end()
        elif char == "&":
            match = _ENTITY_RE.match(text, index)
            if match is None:
                return f"unescaped '&' at byte offset {offset}"
            index = match.end()
        elif char == ">":
            return f"unescaped '>' at byte offset {offset}"
        else:
            index += 1
    if stack:
        return f'can\'t find end tag corresponding to start tag "{stack[-1]}"'
    return None


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _shorten(value: object, limit: int = 40) -> object:
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    return value


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_form_value(name: str, value: str) -> Any:
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _normalise_chat_id(value: Any) -> ChatId:
    if isinstance(value, bool) or value is None:
        raise _bad_request("chat not found")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        if text.startswith("@") and len(text) > 1:
            return text
        raise _bad_request("chat not found") from None


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _update_type(update: Mapping[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


def _chat_type_for(chat_id: ChatId) -> str:
    if isinstance(chat_id, str):
        return "channel"
    if chat_id > 0:
        return "private"
    return "supergroup" if str(chat_id).startswith("-100") else "group"


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeTelegramAPI:
    """A fake Bot API over HTTP on 127.0.0.1 (random free port).

    Use as ``async with FakeTelegramAPI() as api:``; point PTB at :attr:`bot_url` and
    :attr:`file_url`.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = BOT_USERNAME,
        bot_first_name: str = "Youthbot Test",
        rate_limits: RateLimits | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.token = token
        bot_id_text = token.split(":", 1)[0]
        self.bot_id = int(bot_id_text) if bot_id_text.isdigit() else 123456789
        self.bot_user: Json = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.rate_limits = rate_limits
        self.host = host

        self.calls: list[RecordedCall] = []
        self.status_counts: Counter[int] = Counter()
        self.rate_limited_count = 0
        """How many 429 answers the flood-limit enforcement gave (scripted ones excluded)."""
        self.errors: list[Exception] = []
        """Exceptions raised by the fake itself while answering (should stay empty)."""

        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.webhook_allowed_updates: list[str] | None = None
        self.blocked_chats: set[ChatId] = set()
        self.commands: dict[tuple[str, str], list[Json]] = {}
        """Stored bot commands keyed by (canonical JSON of the scope, language code)."""

        self._pending: list[Json] = []
        self._update_ids = itertools.count(1)
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._message_ids: dict[ChatId, int] = {}
        self._messages: dict[tuple[ChatId, int], Json] = {}
        self._users: dict[int, Json] = {}
        self._callback_ids = itertools.count(1)
        self._open_callbacks: set[str] = set()
        self._files: dict[str, tuple[str, bytes]] = {}
        self._file_ids = itertools.count(1)
        self._fail_rules: list[_FailRule] = []
        self._lose_rules: dict[str, int] = {}
        self._revoked = False
        self.lost_answers = 0
        """Requests carried out whose answer the fake dropped (lose_next)."""
        self._delay_rules: list[_DelayRule] = []
        self._sends: deque[float] = deque()
        self._chat_last_send: dict[ChatId, float] = {}
        self._group_sends: dict[ChatId, deque[float]] = {}
        self._activity = asyncio.Event()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

        self._methods: dict[str, Callable[[Json, dict[str, UploadedFile]], Any]] = {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "sendChatAction": self._send_chat_action,
            "getChat": self._get_chat,
            "getFile": self._get_file,
        }
        self._methods_lower = {name.lower(): name for name in self._methods}

    # ---- lifecycle --------------------------------------------------------------------------

    async def start(self) -> Self:
        """Start listening on a random free port of :attr:`host`."""
        if self._runner is not None:
            return self
        self._closing = asyncio.Event()
        self._activity = asyncio.Event()
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, 0)
        await site.start()
        self._port = int(runner.addresses[0][1])
        self._runner = runner
        return self

    async def close(self) -> None:
        """Stop the server; pending long polls and delays end at once."""
        self._closing.set()
        self._notify()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        if self._port is None:
            raise RuntimeError("FakeTelegramAPI is not started")
        return f"http://{self.host}:{self._port}"

    @property
    def bot_url(self) -> str:
        """Base URL for PTB: ``Bot(token, base_url=api.bot_url)``."""
        return f"{self.url}/bot"

    @property
    def file_url(self) -> str:
        """Base file URL for PTB: ``Bot(token, base_file_url=api.file_url)``."""
        return f"{self.url}/file/bot"

    # ---- scripting --------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        retry_after: float = 1,
        times: int = 1,
        description: str | None = None,
        html: bool = False,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (``"*"``: any method) fail.

        429 answers carry ``parameters.retry_after``; other statuses a typical description
        (403: "Forbidden: bot was blocked by the user"), or ``description`` when given.
        ``html``: the answer is an HTML error page instead of JSON (5xx from a front end).
        """
        self._fail_rules.append(
            _FailRule(
                method=method,
                status=status,
                retry_after=retry_after if status == 429 else None,
                description=description,
                times=times,
                html=html,
            )
        )

    def fail_during(
        self,
        seconds: float,
        *,
        methods: tuple[str, ...] = ("sendMessage", "editMessageText", "sendDocument", "sendPhoto"),
        status: int = 500,
        html: bool = False,
    ) -> None:
        """An outage: every call of ``methods`` fails with ``status`` for ``seconds`` from
        now (nothing is carried out)."""
        self._fail_rules.append(
            _FailRule(
                method="",
                status=status,
                retry_after=None,
                description=None,
                times=None,
                html=html,
                until=time.monotonic() + seconds,
                methods=frozenset(methods),
            )
        )

    def lose_next(self, method: str, *, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` are carried out (a message is delivered)
        but the connection drops before the answer: the client cannot know it worked."""
        self._lose_rules[method] = self._lose_rules.get(method, 0) + times

    def revoke_token(self) -> None:
        """Every call answers 401 Unauthorized (the token was revoked in @BotFather)."""
        self._revoked = True

    def restore_token(self) -> None:
        self._revoked = False

    def block_chat(self, chat_id: ChatId) -> None:
        """Every send to ``chat_id`` answers 403 from now on (the user blocked the bot)."""
        self.blocked_chats.add(_normalise_chat_id(chat_id))

    def unblock_chat(self, chat_id: ChatId) -> None:
        self.blocked_chats.discard(_normalise_chat_id(chat_id))

    def delay(self, seconds: float, *, method: str | None = None, times: int | None = None) -> None:
        """Answer requests (of ``method``, or all) ``seconds`` late; ``times=None``: until reset.

        The request is still carried out after the delay even if the client gave up: a send
        that timed out on the client side may have been delivered (as with Telegram).
        ``delay(0)`` removes all delays.
        """
        if seconds <= 0:
            self._delay_rules.clear()
            return
        self._delay_rules.append(_DelayRule(seconds=seconds, method=method, times=times))

    def enable_rate_limits(self, **options: Any) -> RateLimits:
        """Enforce flood limits (see :class:`RateLimits` for the options) and reset counters."""
        self.rate_limits = RateLimits(**options)
        self._sends.clear()
        self._chat_last_send.clear()
        self._group_sends.clear()
        return self.rate_limits

    def disable_rate_limits(self) -> None:
        self.rate_limits = None

    # ---- update injection -------------------------------------------------------------------

    def push_raw(self, update: Json, *, enqueue: bool = True) -> Json:
        """Queue ``update`` for getUpdates (``update_id`` is added when missing)."""
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        if enqueue:
            self._pending.append(update)
            self._notify()
        return update

    def push_message(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str = "Lan",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
        chat_type: str = "private",
        chat_id: ChatId | None = None,
        chat_title: str | None = None,
        enqueue: bool = True,
    ) -> Json:
        """A user's text message; ``/command`` text gets a ``bot_command`` entity at offset 0."""
        user = self._user(user_id, first_name, last_name, username, language_code)
        message = self._new_incoming(user, chat_id, chat_type, chat_title)
        message["text"] = text
        entities = self._command_entities(text)
        if entities:
            message["entities"] = entities
        return self.push_raw({"message": message}, enqueue=enqueue)

    def push_group_message(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        first_name: str = "Lan",
        title: str = "Nhóm thanh niên",
        chat_type: str | None = None,
        enqueue: bool = True,
    ) -> Json:
        """A text message in a group (``chat_id`` < 0; "-100…" ids are supergroups)."""
        return self.push_message(
            user_id,
            text,
            first_name=first_name,
            chat_type=chat_type or _chat_type_for(chat_id),
            chat_id=chat_id,
            chat_title=title,
            enqueue=enqueue,
        )

    def push_edited_message(
        self,
        user_id: int,
        message_id: int,
        text: str,
        *,
        chat_id: ChatId | None = None,
        enqueue: bool = True,
    ) -> Json:
        """The user edited their earlier message ``message_id`` to ``text``."""
        chat: ChatId = user_id if chat_id is None else _normalise_chat_id(chat_id)
        stored = self._messages.get((chat, message_id))
        if stored is None:
            user = self._user(user_id)
            message = self._new_incoming(user, chat, _chat_type_for(chat), None)
            message["message_id"] = message_id
        else:
            message = copy.deepcopy(stored)
        message["text"] = text
        message["edit_date"] = int(time.time())
        entities = self._command_entities(text)
        if entities:
            message["entities"] = entities
        else:
            message.pop("entities", None)
        self._messages[(chat, message_id)] = message
        return self.push_raw({"edited_message": message}, enqueue=enqueue)

    def push_callback(
        self,
        user_id: int,
        data: str,
        *,
        message_id: int | None = None,
        chat_id: ChatId | None = None,
        first_name: str = "Lan",
        language_code: str | None = "vi",
        enqueue: bool = True,
    ) -> Json:
        """The user pressed an inline button with ``data`` under the bot's ``message_id``.

        Without ``message_id`` the bot's last message in the chat is used. Like Telegram,
        the update carries the message as it was when pressed (with its keyboard then):
        a second press before the bot answered the first (a double tap) shows the same
        old keyboard, whatever the bot has made of the message since.
        """
        user = self._user(user_id, first_name, None, None, language_code)
        chat: ChatId = user_id if chat_id is None else _normalise_chat_id(chat_id)
        if message_id is None:
            message_id = self._last_bot_message_id(chat)
        stored = self._messages.get((chat, message_id)) if message_id else None
        message = copy.deepcopy(stored) if stored is not None else None
        if message is None:
            message = {
                "message_id": message_id or self._next_message_id(chat),
                "from": self.bot_user,
                "chat": self._chat(chat),
                "date": int(time.time()),
                "text": "…",
            }
        callback_id = f"{self.bot_id}{next(self._callback_ids):06d}"
        self._open_callbacks.add(callback_id)
        callback = {
            "id": callback_id,
            "from": user,
            "chat_instance": f"ci-{chat}",
            "data": data,
            "message": message,
        }
        return self.push_raw({"callback_query": callback}, enqueue=enqueue)

    def push_sticker(self, user_id: int, *, emoji: str = "👍", enqueue: bool = True) -> Json:
        file_id = self._register_file("stickers/sticker.webp", b"RIFF\x00\x00\x00\x00WEBP")
        sticker = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._push_media(user_id, {"sticker": sticker}, enqueue=enqueue)

    def push_photo(
        self,
        user_id: int,
        *,
        caption: str | None = None,
        content: bytes = b"\x89PNG\r\n\x1a\nfake",
        enqueue: bool = True,
    ) -> Json:
        file_id = self._register_file("photos/photo.jpg", content)
        photo = [
            {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "width": 90,
                "height": 90,
                "file_size": len(content),
            }
        ]
        extra: Json = {"photo": photo}
        if caption is not None:
            extra["caption"] = caption
        return self._push_media(user_id, extra, enqueue=enqueue)

    def push_document(
        self,
        user_id: int,
        content: bytes,
        *,
        file_name: str = "file.xlsx",
        caption: str | None = None,
        mime_type: str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        enqueue: bool = True,
    ) -> Json:
        """A file sent by a person, downloadable with getFile like Telegram's."""
        file_id = self._register_file(f"documents/{file_name}", content)
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        extra: Json = {"document": document}
        if caption is not None:
            extra["caption"] = caption
        return self._push_media(user_id, extra, enqueue=enqueue)

    def push_voice(
        self, user_id: int, *, duration: int = 3, content: bytes = b"OggSfake", enqueue: bool = True
    ) -> Json:
        file_id = self._register_file("voice/voice.oga", content)
        voice = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(content),
        }
        return self._push_media(user_id, {"voice": voice}, enqueue=enqueue)

    def push_location(
        self,
        user_id: int,
        latitude: float = 21.0285,
        longitude: float = 105.8542,
        *,
        enqueue: bool = True,
    ) -> Json:
        location = {"latitude": latitude, "longitude": longitude}
        return self._push_media(user_id, {"location": location}, enqueue=enqueue)

    def push_contact(
        self,
        user_id: int,
        phone_number: str = "+84901234567",
        *,
        first_name: str = "Lan",
        enqueue: bool = True,
    ) -> Json:
        contact = {"phone_number": phone_number, "first_name": first_name, "user_id": user_id}
        return self._push_media(user_id, {"contact": contact}, enqueue=enqueue)

    @property
    def pending_updates(self) -> list[Json]:
        """Updates not yet confirmed by an offset."""
        return list(self._pending)

    async def post_webhook(
        self,
        url: str,
        update: Json,
        secret_token: str | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - an HTTP client timeout, not a wait
    ) -> tuple[int, str]:
        """POST ``update`` as JSON to a bot's webhook ``url`` the way Telegram does.

        Sends ``X-Telegram-Bot-Api-Secret-Token`` when ``secret_token`` is given. Returns the
        answer's status and body.
        """
        update = self.push_raw(update, enqueue=False)
        headers = {"Content-Type": "application/json"}
        if secret_token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.post(url, content=json.dumps(update), headers=headers)
        return response.status_code, response.text

    async def deliver_webhook_updates(self) -> list[int]:
        """POST queued updates to the webhook set with setWebhook (with its secret).

        Delivered (2xx) updates leave the queue; delivery stops at the first failure.
        Returns the statuses, in order.
        """
        if not self.webhook_url:
            raise AssertionError("no webhook is set")
        statuses: list[int] = []
        while self._pending:
            update = self._pending[0]
            status, _ = await self.post_webhook(self.webhook_url, update, self.webhook_secret)
            statuses.append(status)
            if not 200 <= status < 300:
                break
            self._pending.pop(0)
        return statuses

    # ---- recorded views ---------------------------------------------------------------------

    def calls_to(self, method: str) -> list[RecordedCall]:
        """Every recorded call of ``method`` (successful or not)."""
        return [call for call in self.calls if call.method == method]

    @property
    def error_answers(self) -> list[RecordedCall]:
        """Calls refused (4xx, 5xx) for what the bot asked, as Telegram would refuse them
        ("message is not modified", "message to edit not found"...): a bot that works
        makes none. Failures a test scripted are left out."""
        return [
            call
            for call in self.calls
            if call.status is not None and call.status >= 400 and not call.scripted
        ]

    def _ok_calls(self, *methods: str) -> list[RecordedCall]:
        return [call for call in self.calls if call.method in methods and call.ok]

    def sent_messages(self, chat_id: ChatId | None = None) -> list[Json]:
        """Delivered sendMessage calls: chat_id, message_id, text, parse_mode, reply_markup."""
        wanted = None if chat_id is None else _normalise_chat_id(chat_id)
        sent = []
        for call in self._ok_calls("sendMessage"):
            assert call.response is not None
            message = call.response["result"]
            if wanted is not None and message["chat"]["id"] != wanted:
                continue
            sent.append(
                {
                    "chat_id": message["chat"]["id"],
                    "message_id": message["message_id"],
                    "text": call.params.get("text"),
                    "parse_mode": call.params.get("parse_mode"),
                    "reply_markup": call.params.get("reply_markup"),
                    "params": call.params,
                }
            )
        return sent

    def sent_texts(self, chat_id: ChatId | None = None) -> list[str]:
        """Just the texts of :meth:`sent_messages`."""
        return [message["text"] for message in self.sent_messages(chat_id)]

    @property
    def edits(self) -> list[Json]:
        """Successful editMessageText / editMessageReplyMarkup calls."""
        return [
            {
                "method": call.method,
                "chat_id": call.params.get("chat_id"),
                "message_id": call.params.get("message_id"),
                "text": call.params.get("text"),
                "parse_mode": call.params.get("parse_mode"),
                "reply_markup": call.params.get("reply_markup"),
            }
            for call in self._ok_calls("editMessageText", "editMessageReplyMarkup")
        ]

    @property
    def callback_answers(self) -> list[Json]:
        """Successful answerCallbackQuery calls."""
        return [
            {
                "callback_query_id": call.params.get("callback_query_id"),
                "text": call.params.get("text"),
                "show_alert": bool(call.params.get("show_alert", False)),
                "url": call.params.get("url"),
            }
            for call in self._ok_calls("answerCallbackQuery")
        ]

    @property
    def documents(self) -> list[Json]:
        """Delivered sendDocument calls (filename, size, content, caption, ...)."""
        return self._file_sends("sendDocument", "document")

    @property
    def photos(self) -> list[Json]:
        """Delivered sendPhoto calls (filename, size, content, caption, ...)."""
        return self._file_sends("sendPhoto", "photo")

    @property
    def chat_actions(self) -> list[Json]:
        return [
            {"chat_id": call.params.get("chat_id"), "action": call.params.get("action")}
            for call in self._ok_calls("sendChatAction")
        ]

    def _file_sends(self, method: str, param: str) -> list[Json]:
        found = []
        for call in self._ok_calls(method):
            assert call.response is not None
            message = call.response["result"]
            upload = self._upload_for(call.params.get(param), call.files, param)
            found.append(
                {
                    "chat_id": message["chat"]["id"],
                    "message_id": message["message_id"],
                    "filename": upload.filename if upload else None,
                    "size": upload.size if upload else None,
                    "content": upload.content if upload else None,
                    "mime_type": upload.content_type if upload else None,
                    "file_id": None if upload else call.params.get(param),
                    "caption": call.params.get("caption"),
                    "parse_mode": call.params.get("parse_mode"),
                    "reply_markup": call.params.get("reply_markup"),
                }
            )
        return found

    def duplicate_deliveries(self, chat_id: ChatId | None = None) -> dict[ChatId, dict[str, int]]:
        """Contents delivered more than once to the same chat: ``{chat_id: {content: count}}``.

        Content is the text of a message, ``"[document] <filename> <caption>"`` for a document
        and ``"[photo] <filename> <caption>"`` for a photo.
        """
        counts: dict[ChatId, Counter[str]] = {}
        for message in self.sent_messages(chat_id):
            counts.setdefault(message["chat_id"], Counter())[message["text"]] += 1
        for kind, sends in (("document", self.documents), ("photo", self.photos)):
            for send in sends:
                if chat_id is not None and send["chat_id"] != _normalise_chat_id(chat_id):
                    continue
                name = send["filename"] or send["file_id"]
                key = f"[{kind}] {name} {send['caption'] or ''}".rstrip()
                counts.setdefault(send["chat_id"], Counter())[key] += 1
        duplicates: dict[ChatId, dict[str, int]] = {}
        for chat, counter in counts.items():
            repeated = {content: n for content, n in counter.items() if n > 1}
            if repeated:
                duplicates[chat] = repeated
        return duplicates

    @property
    def count_429(self) -> int:
        """All 429 answers sent (scripted and enforced)."""
        return self.status_counts[429]

    def summary(self, last: int = 25) -> str:
        """The last recorded calls, one per line (for assertion messages)."""
        lines = [call.describe() for call in self.calls[-last:]]
        skipped = len(self.calls) - len(lines)
        head = f"{len(self.calls)} calls" + (f" (first {skipped} not shown)" if skipped else "")
        return "\n".join([head, *("  " + line for line in lines)])

    async def wait_for(
        self,
        predicate: Callable[[], Any],
        timeout: float = 5.0,  # noqa: ASYNC109 - bounded polling of recorded state
        *,
        what: str | None = None,
    ) -> Any:
        """Wait until ``predicate()`` is truthy and return its value.

        Re-evaluated after every request and update and at least every 50 ms; raises
        ``AssertionError`` with :meth:`summary` after ``timeout`` seconds.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            activity = self._activity
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                label = what or getattr(predicate, "__name__", "condition")
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {label}\n{self.summary()}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(activity.wait(), min(remaining, 0.05))

    async def wait_for_messages(
        self,
        count: int,
        chat_id: ChatId | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - bounded polling of recorded state
    ) -> list[Json]:
        """Wait until at least ``count`` messages were delivered (to ``chat_id``)."""
        await self.wait_for(
            lambda: len(self.sent_messages(chat_id)) >= count,
            timeout,
            what=f"{count} sent message(s)" + ("" if chat_id is None else f" to {chat_id}"),
        )
        return self.sent_messages(chat_id)

    def file_content(self, file_id: str) -> bytes:
        """Bytes of a file known to the fake (uploaded by the bot or pushed by a user)."""
        return self._files[file_id][1]

    # ---- HTTP plumbing ----------------------------------------------------------------------

    def _notify(self) -> None:
        self._activity.set()
        self._activity = asyncio.Event()

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return self._serve_file(path.removeprefix("/file/bot"))
        if not path.startswith("/bot") or path.count("/") != 2:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        token, raw_method = path.removeprefix("/bot").split("/", 1)
        method = self._methods_lower.get(raw_method.lower(), raw_method)
        call = RecordedCall(method=method, params={}, time=time.monotonic())
        self.calls.append(call)
        _CURRENT_REQUEST.set(request)
        try:
            call.params, call.files, call.content_type = await self._read_params(request)
            body = await self._handle(call, token)
            status = 200
        except _HtmlError as error:
            status = error.status
            phrase = _STATUS_DESCRIPTIONS.get(status, "Error")
            call.status, call.response = status, None
            call.client_gone = _client_gone(request)
            self.status_counts[status] += 1
            self._notify()
            return web.Response(
                text=_HTML_PAGE.format(status=status, phrase=phrase),
                status=status,
                content_type="text/html",
            )
        except BotApiError as error:
            status, body = error.status, error.body()
        except Exception as error:  # a bug in the fake: answer 500 and keep it for the test
            self.errors.append(error)
            status = 500
            body = {"ok": False, "error_code": 500, "description": f"fake crashed: {error!r}"}
        call.status, call.response = status, body
        call.client_gone = _client_gone(request)
        self.status_counts[status] += 1
        if status == 200 and self._lose_rules.get(method, 0) > 0:
            # Done, but the answer never arrives: the connection drops before it.
            self._lose_rules[method] -= 1
            self.lost_answers += 1
            call.client_gone = True
            self._notify()
            if request.transport is not None:
                request.transport.close()
            return web.Response()
        self._notify()
        return web.json_response(body, status=status)

    async def _read_params(self, request: web.Request) -> tuple[Json, dict[str, UploadedFile], str]:
        params: Json = {name: _decode_form_value(name, v) for name, v in request.query.items()}
        files: dict[str, UploadedFile] = {}
        kind = "empty"
        if request.content_type == "application/json":
            raw = await request.read()
            if raw.strip():
                kind = "json"
                try:
                    decoded = json.loads(raw)
                except ValueError:
                    raise _bad_request("can't parse JSON encoded request parameters") from None
                if not isinstance(decoded, dict):
                    raise _bad_request("can't parse JSON encoded request parameters")
                params.update(decoded)
        elif request.content_type == "multipart/form-data":
            kind = "multipart"
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    files[part.name] = UploadedFile(
                        field=part.name,
                        filename=part.filename,
                        content_type=part.headers.get("Content-Type"),
                        content=bytes(await part.read()),
                    )
                else:
                    value = await part.text()
                    params[part.name] = _decode_form_value(part.name, value)
        elif request.content_type == "application/x-www-form-urlencoded":
            form = await request.post()
            if form:
                kind = "form"
            for name, form_value in form.items():
                if isinstance(form_value, str):
                    params[name] = _decode_form_value(name, form_value)
        if kind == "empty" and request.query:
            kind = "form"
        return params, files, kind

    async def _handle(self, call: RecordedCall, token: str) -> Json:
        if token != self.token or self._revoked:
            raise BotApiError(401, "Unauthorized")
        handler = self._methods.get(call.method)
        if handler is None:
            raise BotApiError(404, "Not Found: method not found")
        await self._apply_delay(call.method)
        # Failures a test asked for (fail_next, block_chat, rate limits) are "scripted".
        call.scripted = True
        self._apply_scripted_failure(call.method)
        if call.method in _CHAT_METHODS and "chat_id" in call.params:
            chat = _normalise_chat_id(call.params["chat_id"])
            if chat in self.blocked_chats:
                raise BotApiError(403, self._forbidden_description(chat))
        if call.method in _RATE_LIMITED_METHODS:
            self._apply_rate_limits(call.params)
        call.scripted = False
        result = handler(call.params, call.files)
        if asyncio.iscoroutine(result):
            result = await result
        return {"ok": True, "result": result}

    async def _apply_delay(self, method: str) -> None:
        for rule in self._delay_rules:
            if rule.method not in (None, method):
                continue
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    self._delay_rules.remove(rule)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), rule.seconds)
            return

    def _apply_scripted_failure(self, method: str) -> None:
        now = time.monotonic()
        self._fail_rules = [r for r in self._fail_rules if r.until is None or r.until > now]
        for rule in self._fail_rules:
            if not rule.matches(method):
                continue
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    self._fail_rules.remove(rule)
            if rule.html:
                raise _HtmlError(rule.status)
            if rule.status == 429:
                error = _too_many_requests(rule.retry_after or 1)
                if rule.description:
                    error.description = rule.description
                raise error
            description = rule.description or _STATUS_DESCRIPTIONS.get(
                rule.status, f"Error {rule.status}"
            )
            raise BotApiError(rule.status, description)

    def _forbidden_description(self, chat: ChatId) -> str:
        if isinstance(chat, int) and chat > 0:
            return "Forbidden: bot was blocked by the user"
        return "Forbidden: bot was kicked from the group chat"

    def _apply_rate_limits(self, params: Json) -> None:
        limits = self.rate_limits
        if limits is None:
            return
        chat = _normalise_chat_id(params.get("chat_id"))
        now = time.monotonic()
        relax = 1.0 + limits.tolerance
        waits: list[float] = []

        while self._sends and self._sends[0] <= now - 1.0:
            self._sends.popleft()
        global_limit = max(1, math.floor(limits.global_per_second * limits.scale * relax))
        if len(self._sends) >= global_limit:
            waits.append(self._sends[len(self._sends) - global_limit] + 1.0 - now)

        per_chat = limits.per_chat_per_second * limits.scale
        last = self._chat_last_send.get(chat)
        if per_chat > 0 and last is not None:
            interval = 1.0 / per_chat / relax
            if now - last < interval:
                waits.append(last + interval - now)

        group_sends = None
        if _chat_type_for(chat) in ("group", "supergroup"):
            group_sends = self._group_sends.setdefault(chat, deque())
            while group_sends and group_sends[0] <= now - 60.0:
                group_sends.popleft()
            group_limit = max(1, math.floor(limits.per_group_per_minute * limits.scale * relax))
            if len(group_sends) >= group_limit:
                waits.append(group_sends[len(group_sends) - group_limit] + 60.0 - now)

        if waits:
            self.rate_limited_count += 1
            wait = max(waits)
            if limits.fractional_retry_after:
                retry_after: float = max(0.001, math.ceil(wait * 1000) / 1000)
            else:
                retry_after = max(1, math.ceil(wait))
            raise _too_many_requests(retry_after)
        self._sends.append(now)
        self._chat_last_send[chat] = now
        if group_sends is not None:
            group_sends.append(now)

    def _serve_file(self, rest: str) -> web.StreamResponse:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        for path, content in self._files.values():
            if path == file_path:
                return web.Response(body=content, content_type="application/octet-stream")
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    # ---- building objects -------------------------------------------------------------------

    def _user(
        self,
        user_id: int,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> Json:
        user = self._users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": "Lan"}
        if first_name is not None:
            user["first_name"] = first_name
        if last_name is not None:
            user["last_name"] = last_name
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        self._users[user_id] = user
        return dict(user)

    def _chat(
        self, chat_id: ChatId, chat_type: str | None = None, title: str | None = None
    ) -> Json:
        kind = chat_type or _chat_type_for(chat_id)
        chat: Json = {"id": chat_id, "type": kind}
        if kind == "private" and isinstance(chat_id, int):
            user = self._users.get(chat_id, {})
            chat["first_name"] = user.get("first_name", f"User {chat_id}")
            for key in ("last_name", "username"):
                if key in user:
                    chat[key] = user[key]
        else:
            chat["title"] = title or f"Chat {chat_id}"
        return chat

    def _next_message_id(self, chat: ChatId) -> int:
        self._message_ids[chat] = self._message_ids.get(chat, 0) + 1
        return self._message_ids[chat]

    def _last_bot_message_id(self, chat: ChatId) -> int | None:
        ids = [
            message_id
            for (stored_chat, message_id), message in self._messages.items()
            if stored_chat == chat and message.get("from", {}).get("id") == self.bot_id
        ]
        return max(ids) if ids else None

    def _new_incoming(
        self, user: Json, chat_id: ChatId | None, chat_type: str, chat_title: str | None
    ) -> Json:
        chat = user["id"] if chat_id is None else _normalise_chat_id(chat_id)
        message: Json = {
            "message_id": self._next_message_id(chat),
            "from": user,
            "chat": self._chat(chat, chat_type, chat_title),
            "date": int(time.time()),
        }
        self._messages[(chat, message["message_id"])] = message
        return message

    def _push_media(self, user_id: int, content: Json, *, enqueue: bool) -> Json:
        message = self._new_incoming(self._user(user_id), None, "private", None)
        message.update(content)
        return self.push_raw({"message": message}, enqueue=enqueue)

    @staticmethod
    def _command_entities(text: str) -> list[Json]:
        if not text.startswith("/") or len(text) < 2:
            return []
        command = text.split(maxsplit=1)[0]
        return [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]

    def _register_file(self, path: str, content: bytes) -> str:
        number = next(self._file_ids)
        file_id = f"FILE{number:05d}"
        stem, dot, ext = path.rpartition(".")
        self._files[file_id] = (f"{stem}_{number}{dot}{ext}", content)
        return file_id

    def _bot_message(self, chat: ChatId, extra: Json, reply_markup: Any) -> Json:
        message: Json = {
            "message_id": self._next_message_id(chat),
            "from": self.bot_user,
            "chat": self._chat(chat),
            "date": int(time.time()),
            **extra,
        }
        if isinstance(reply_markup, dict) and "inline_keyboard" in reply_markup:
            message["reply_markup"] = reply_markup
        self._messages[(chat, message["message_id"])] = message
        return message

    # ---- validation -------------------------------------------------------------------------

    @staticmethod
    def _check_text(text: Any, parse_mode: Any, *, caption: bool = False) -> str:
        if text is None or (isinstance(text, str) and not text.strip()):
            if caption:
                return ""
            raise _bad_request("message text is empty")
        checked = str(text)
        limit = MAX_CAPTION_LENGTH if caption else MAX_TEXT_LENGTH
        if len(checked) > limit:
            raise _bad_request("message caption is too long" if caption else "message is too long")
        if isinstance(parse_mode, str) and parse_mode.lower() == "html":
            problem = check_telegram_html(checked)
            if problem:
                raise _bad_request(f"can't parse entities: {problem}")
        return checked

    @staticmethod
    def _check_reply_markup(markup: Any) -> None:
        if markup is None:
            return
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise _bad_request("BUTTON_TEXT_INVALID")
                if "callback_data" in button:
                    data = button["callback_data"]
                    size = len(str(data).encode("utf-8"))
                    if not isinstance(data, str) or not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                        raise _bad_request("BUTTON_DATA_INVALID")
                elif "url" in button and not str(button["url"]).startswith(
                    ("http://", "https://", "tg://")
                ):
                    raise _bad_request("BUTTON_URL_INVALID")

    def _upload_for(
        self, value: Any, files: Mapping[str, UploadedFile], param: str
    ) -> UploadedFile | None:
        if isinstance(value, str) and value.startswith("attach://"):
            return files.get(value.removeprefix("attach://"))
        return files.get(param)

    # ---- methods ----------------------------------------------------------------------------

    def _true(self, params: Json, files: dict[str, UploadedFile]) -> bool:
        return True

    def _get_me(self, params: Json, files: dict[str, UploadedFile]) -> Json:
        return self.bot_user

    async def _get_updates(self, params: Json, files: dict[str, UploadedFile]) -> list[Json]:
        if self.webhook_url:
            raise BotApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed] or None
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]

        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older long poll still waiting ends with 409
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            activity = self._activity
            if generation != self._poll_generation:
                request = _CURRENT_REQUEST.get(None)
                if request is not None and _client_gone(request):
                    return []  # nobody is listening: no need for a 409 in the record
                raise BotApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            ready = [u for u in self._pending if self._is_allowed(u)][:limit]
            remaining = deadline - loop.time()
            if ready or remaining <= 0 or self._closing.is_set():
                return ready
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(activity.wait(), remaining)

    def _is_allowed(self, update: Json) -> bool:
        kind = _update_type(update)
        if self._allowed_updates is None:
            return kind not in _OPT_IN_UPDATES
        return kind in self._allowed_updates

    def _set_webhook(self, params: Json, files: dict[str, UploadedFile]) -> bool:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if url and not url.startswith(("https://", "http://")):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise _bad_request("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook_url = url
        self.webhook_secret = str(secret) if url and secret is not None else None
        allowed = params.get("allowed_updates")
        self.webhook_allowed_updates = allowed if isinstance(allowed, list) else None
        self._notify()
        return True

    def _delete_webhook(self, params: Json, files: dict[str, UploadedFile]) -> bool:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook_url = ""
        self.webhook_secret = None
        self.webhook_allowed_updates = None
        return True

    def _get_webhook_info(self, params: Json, files: dict[str, UploadedFile]) -> Json:
        info: Json = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook_url and self.webhook_allowed_updates is not None:
            info["allowed_updates"] = self.webhook_allowed_updates
        return info

    @staticmethod
    def _commands_key(params: Json) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if isinstance(scope, str):
            scope = json.loads(scope)
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, params: Json, files: dict[str, UploadedFile]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("BOT_COMMANDS_TOO_MUCH" if commands else "commands not found")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(name)):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(self, params: Json, files: dict[str, UploadedFile]) -> list[Json]:
        return list(self.commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: Json, files: dict[str, UploadedFile]) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def commands_for(self, language_code: str = "", scope: Json | None = None) -> list[Json] | None:
        """Commands stored by setMyCommands for ``language_code`` and ``scope``, or ``None``."""
        key = self._commands_key({"scope": scope, "language_code": language_code})
        return self.commands.get(key)

    def _send_message(self, params: Json, files: dict[str, UploadedFile]) -> Json:
        chat = _normalise_chat_id(params.get("chat_id"))
        text = self._check_text(params.get("text"), params.get("parse_mode"))
        markup = params.get("reply_markup")
        self._check_reply_markup(markup)
        return self._bot_message(chat, {"text": text}, markup)

    def _edited_message(self, params: Json) -> Json:
        if params.get("inline_message_id"):
            raise _bad_request("inline messages are not supported by the fake")
        chat = _normalise_chat_id(params.get("chat_id"))
        message_id = params.get("message_id")
        message = self._messages.get((chat, message_id)) if isinstance(message_id, int) else None
        if message is None:
            raise _bad_request("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise _bad_request("message can't be edited")
        return message

    def _edit_message_text(self, params: Json, files: dict[str, UploadedFile]) -> Json:
        message = self._edited_message(params)
        text = self._check_text(params.get("text"), params.get("parse_mode"))
        markup = params.get("reply_markup")
        self._check_reply_markup(markup)
        new_markup = markup if isinstance(markup, dict) and "inline_keyboard" in markup else None
        if message.get("text") == text and message.get("reply_markup") == new_markup:
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message["text"] = text
        message["edit_date"] = int(time.time())
        if new_markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = new_markup
        return message

    def _edit_message_reply_markup(self, params: Json, files: dict[str, UploadedFile]) -> Json:
        message = self._edited_message(params)
        markup = params.get("reply_markup")
        self._check_reply_markup(markup)
        new_markup = markup if isinstance(markup, dict) and "inline_keyboard" in markup else None
        if message.get("reply_markup") == new_markup:
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message["edit_date"] = int(time.time())
        if new_markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = new_markup
        return message

    def _answer_callback_query(self, params: Json, files: dict[str, UploadedFile]) -> bool:
        callback_id = str(params.get("callback_query_id") or "")
        if callback_id not in self._open_callbacks:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(str(params.get("text") or "")) > 200:
            raise _bad_request("MESSAGE_TOO_LONG")
        self._open_callbacks.discard(callback_id)
        return True

    def _file_message(
        self, params: Json, files: dict[str, UploadedFile], param: str, folder: str
    ) -> tuple[ChatId, Json]:
        chat = _normalise_chat_id(params.get("chat_id"))
        caption = self._check_text(params.get("caption"), params.get("parse_mode"), caption=True)
        markup = params.get("reply_markup")
        self._check_reply_markup(markup)
        upload = self._upload_for(params.get(param), files, param)
        if upload is not None:
            file_id = self._register_file(f"{folder}/{upload.filename or 'file'}", upload.content)
            file_info: Json = {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_size": upload.size,
            }
            if param == "document":
                file_info["file_name"] = upload.filename or "file"
                if upload.content_type:
                    file_info["mime_type"] = upload.content_type
        else:
            reference = params.get(param)
            if not isinstance(reference, str) or not reference:
                raise _bad_request(f"there is no {param} in the request")
            if reference.startswith(("http://", "https://")):
                file_info = {"file_id": self._register_file(f"{folder}/url", b""), "file_size": 0}
            elif reference in self._files:
                file_info = {"file_id": reference, "file_size": len(self._files[reference][1])}
            else:
                raise _bad_request("wrong file identifier/HTTP URL specified")
            file_info["file_unique_id"] = f"u{file_info['file_id']}"
        extra: Json = {}
        if param == "photo":
            extra["photo"] = [{**file_info, "width": 90, "height": 90}]
        else:
            extra["document"] = file_info
        if caption:
            extra["caption"] = caption
        return chat, self._bot_message(chat, extra, markup)

    def _send_document(self, params: Json, files: dict[str, UploadedFile]) -> Json:
        return self._file_message(params, files, "document", "documents")[1]

    def _send_photo(self, params: Json, files: dict[str, UploadedFile]) -> Json:
        upload = self._upload_for(params.get("photo"), files, "photo")
        if upload is not None and upload.size > 10 * 1024 * 1024:
            raise _bad_request("PHOTO_INVALID_DIMENSIONS")
        return self._file_message(params, files, "photo", "photos")[1]

    def _send_chat_action(self, params: Json, files: dict[str, UploadedFile]) -> bool:
        _normalise_chat_id(params.get("chat_id"))
        if not params.get("action"):
            raise _bad_request("wrong parameter action in request")
        return True

    def _get_chat(self, params: Json, files: dict[str, UploadedFile]) -> Json:
        chat = self._chat(_normalise_chat_id(params.get("chat_id")))
        chat.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        )
        return chat

    def _get_file(self, params: Json, files: dict[str, UploadedFile]) -> Json:
        file_id = str(params.get("file_id") or "")
        if file_id not in self._files:
            raise _bad_request("invalid file_id")
        path, content = self._files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(content),
            "file_path": path,
        }
