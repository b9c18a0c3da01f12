"""python-telegram-bot's HTTP transport on aiohttp instead of httpx.

PTB lets the transport be replaced (``telegram.request.BaseRequest``): everything above it
(building requests, JSON, turning answers into ``Message`` objects and error codes into
``RetryAfter``, ``Forbidden``...) stays PTB's. Against the fake Bot API a request costs
about 0.3 ms of CPU with aiohttp and about 1.1 ms with PTB's ``HTTPXRequest``; a chat
update takes two or three requests, so this roughly halves the bot's CPU per update
(see ``bench/telegram_updates.py``). aiohttp is already a dependency (the webhook server).

Timeouts map as: ``connect_timeout`` → socket connect, ``pool_timeout`` + connect → getting
a connection, ``read_timeout`` → the longest pause while reading the answer. aiohttp has no
write timeout; uploads are bounded by the read timeout of their answer.

Lost answers: a connection dropped after the request went out raises :class:`ConnectionLost`
(a ``NetworkError``), a timeout PTB's ``TimedOut``: in both cases Telegram may have done the
work, so a retried send may arrive twice (the callers mark it). A connection that could not
be made at all is a plain ``NetworkError``.

Error pages: a proxy or Telegram's front end sometimes answers 5xx with an HTML page. PTB
would log it as an ERROR with a traceback (the JSON did not parse) and carry the whole page in
the exception's text; the transport replaces such a body by a one-line JSON description
(``error_body``), so the failure is one short ``NetworkError`` like any other.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

__all__ = ["AiohttpRequest", "ConnectionLost", "HttpxRequest", "error_body", "lost_answer"]


class ConnectionLost(NetworkError):
    """The connection broke after the request was sent: Telegram may have done the work."""


def lost_answer(exc: BaseException) -> bool:
    """Whether a failed request may have been carried out (its answer never came)."""
    return isinstance(exc, TimedOut | ConnectionLost)


def error_body(status: int, payload: bytes) -> bytes:
    """``payload`` if it is JSON (or the request succeeded), else a short JSON description
    of the HTTP error in the Bot API's shape (see the module docstring)."""
    if 200 <= status <= 299:
        return payload
    try:
        json.loads(payload)
    except ValueError:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "HTTP error"
        kind = "an HTML page" if payload.lstrip()[:1] == b"<" else "no JSON"
        description = f"{phrase} ({status}, {kind})"
        return json.dumps({"ok": False, "error_code": status, "description": description}).encode()
    return payload


class HttpxRequest(HTTPXRequest):
    """PTB's own ``HTTPXRequest`` with error pages shortened (``error_body``)."""

    __slots__ = ()

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        status, payload = await super().do_request(*args, **kwargs)
        return status, error_body(status, payload)


_DEFAULT = type(BaseRequest.DEFAULT_NONE)  # PTB's "not given" marker (a DefaultValue)
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _given(value: Any, default: float | None) -> float | None:
    return default if isinstance(value, _DEFAULT) else value


class AiohttpRequest(BaseRequest):
    """A :class:`telegram.request.BaseRequest` over one :class:`aiohttp.ClientSession`."""

    __slots__ = (
        "_connect_timeout",
        "_pool_size",
        "_pool_timeout",
        "_read_timeout",
        "_session",
    )

    def __init__(
        self,
        *,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See :meth:`telegram.request.BaseRequest.do_request`."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        read = _given(read_timeout, self._read_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        body: Any = None
        headers: dict[str, str] | None = None
        if request_data is not None:
            files = request_data.multipart_data
            if files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, (filename, content, mime_type) in files.items():
                    form.add_field(name, content, filename=filename, content_type=mime_type)
                body = form
            else:
                # Form-encoded, as PTB's own HTTPXRequest sends it; encoded here because
                # aiohttp's FormData builds a multipart writer even for a plain form.
                body = request_data.url_encoded_parameters().encode()
                headers = _FORM
        try:
            async with session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, error_body(response.status, await response.read())
        except TimeoutError as exc:  # aiohttp's timeouts are asyncio.TimeoutError
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # Some aiohttp messages quote the URL, and Bot API URLs carry the token.
            message = f"aiohttp.{type(exc).__name__}: {exc}".replace(url, "<url>")
            if isinstance(exc, aiohttp.ClientConnectorError):
                raise NetworkError(message) from exc  # never reached Telegram
            raise ConnectionLost(message) from exc
