"""A real SMTP server (aiosmtpd) on 127.0.0.1 for tests, keeping what it receives."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

PASSWORD = "mật-khẩu-bí-mật-42"


@dataclass
class Inbox:
    """aiosmtpd handler keeping what it receives."""

    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 OK"


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"doan.caobang"
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_smtp_server(*, auth: bool = True) -> Iterator[tuple[Inbox, int]]:
    """``auth=False``: a relay on the local network that offers no AUTH at all."""
    inbox = Inbox()
    port = _free_port()
    login: dict[str, Any] = (
        {"authenticator": _authenticator, "auth_require_tls": False}  # no certificate at hand
        if auth
        else {}
    )
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **login)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
