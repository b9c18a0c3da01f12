"""Send digests by e-mail (SMTP), the channel Youth Union offices and Sở Nội vụ already use.

One function, :func:`send_email`, builds a UTF-8 message (Vietnamese subject, body and
attachment names are encoded per RFC 2047/2231) and sends it with aiosmtplib, logging in
only when a user name is set (a relay on the local network needs none). Any failure
becomes a :class:`MailError`: one line in the operator's language (``locales/*/mail.po``)
naming the server and what to check, never the password.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import aiosmtplib
from pydantic import SecretStr

from bot.clock import Clock, SystemClock
from locales import LocalizedError

logger = logging.getLogger(__name__)

#: Types ``mimetypes`` may not know on a minimal system (no /etc/mime.types).
_KNOWN_TYPES: dict[str, str] = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".png": "image/png",
    ".csv": "text/csv",
    ".jsonl": "application/x-ndjson",
    ".json": "application/json",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
}


class MailError(LocalizedError):
    """Sending failed; the message names the server (host:port) and what to check."""

    status = 1


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """How to reach the SMTP server.

    ``use_tls`` is implicit TLS from the first byte (port 465; ``starttls`` is then
    ignored); ``starttls`` upgrades a plain connection (port 587) and fails if the server
    cannot. The password is never shown by ``repr``, in logs or in errors.
    """

    host: str
    sender: str  #: the From address, e.g. "youthbot@tinhdoan.caobang.gov.vn"
    port: int = 587
    username: str | None = None
    password: SecretStr | str | None = field(default=None, repr=False)
    starttls: bool = True
    use_tls: bool = False
    timeout: float = 30.0

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def secret(self) -> str | None:
        if isinstance(self.password, SecretStr):
            return self.password.get_secret_value()
        return self.password


def content_type(path: Path) -> tuple[str, str]:
    """(maintype, subtype) of an attachment, from its extension."""
    known = _KNOWN_TYPES.get(path.suffix.lower())
    guessed = known or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    maintype, _, subtype = guessed.partition("/")
    return maintype, subtype


def set_subject(message: EmailMessage, subject: str) -> None:
    """Set a Vietnamese subject that every mail reader decodes back exactly.

    Python 3.11's folder for ``EmailMessage`` headers drops the space between two encoded
    words when it folds at a space ("…trên địa bàn…" came out "…trên địabàn…"). The email
    library's :class:`~email.header.Header` encodes the text into RFC 2047 words that carry
    their own spaces, folded to lines within 78 characters; ``set_raw`` stores that value
    as it is (the policy refolds only lines longer than its limit, and there are none).
    """
    flat = " ".join(subject.split())  # a subject is one line: no CR/LF from the caller
    if flat.isascii():
        message["Subject"] = flat
        return
    encoded = Header(flat, "utf-8", header_name="Subject").encode(linesep="\n")
    message.set_raw("Subject", encoded)


def build_message(
    settings: SmtpSettings,
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    attachments: Sequence[tuple[str, bytes]] = (),
    clock: Clock | None = None,
) -> EmailMessage:
    """The message to send: plain-text UTF-8 body plus ``(file name, bytes)`` attachments."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = ", ".join(to)
    set_subject(message, subject)
    message["Date"] = format_datetime((clock or SystemClock()).now())
    domain = settings.sender.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(body, charset="utf-8")
    for name, data in attachments:
        maintype, subtype = content_type(Path(name))
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


async def send_email(
    settings: SmtpSettings,
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    attachments: Sequence[Path] = (),
    clock: Clock | None = None,
) -> None:
    """Send ``body`` with ``attachments`` to ``to``; raise :class:`MailError` on failure."""
    recipients = [address.strip() for address in to if address.strip()]
    if not recipients:
        raise MailError("mail.no_recipient", server=settings.address)
    files: list[tuple[str, bytes]] = []
    for path in attachments:
        try:
            data = await asyncio.to_thread(Path(path).read_bytes)
        except OSError as exc:
            raise MailError("mail.attach", path=path, reason=exc.strerror or exc) from exc
        files.append((Path(path).name, data))
    message = build_message(
        settings, to=recipients, subject=subject, body=body, attachments=files, clock=clock
    )
    try:
        await aiosmtplib.send(
            message,
            hostname=settings.host,
            port=settings.port,
            username=settings.username or None,  # "" would still try to log in
            password=settings.secret() if settings.username else None,
            use_tls=settings.use_tls,
            start_tls=settings.starttls and not settings.use_tls,
            timeout=settings.timeout,
        )
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise _mail_error(exc, settings) from exc
    logger.info(
        "sent e-mail to %d recipient(s) via %s with %d attachment(s)",
        len(recipients),
        settings.address,
        len(files),
    )


def _mail_error(exc: BaseException, settings: SmtpSettings) -> MailError:
    """What went wrong, as the operator can fix it: which setting to check."""
    server = settings.address
    text = str(exc)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return MailError("mail.auth_refused", server=server)
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refused = ", ".join(r.recipient for r in exc.recipients)
        return MailError("mail.recipients_refused", server=server, addresses=refused)
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        return MailError("mail.sender_refused", server=server, sender=settings.sender)
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return MailError("mail.timeout", server=server)
    if isinstance(exc, ssl.SSLError) or isinstance(exc.__cause__, ssl.SSLError):
        return MailError("mail.tls", server=server)
    if "AUTH extension is not supported" in text:
        return MailError("mail.no_auth", server=server)
    if "STARTTLS extension not supported" in text:
        return MailError("mail.no_starttls", server=server)
    cause = exc.__cause__ if isinstance(exc, aiosmtplib.SMTPConnectError) else exc
    if isinstance(cause, socket.gaierror):
        return MailError("mail.unknown_host", server=server)
    if isinstance(cause, ConnectionRefusedError) or "Connection refused" in text:
        return MailError("mail.refused", server=server)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        reply = _masked(f"{exc.code} {exc.message}", settings.secret())
        return MailError("mail.server_reply", server=server, reply=reply)
    detail = _masked(f"{type(exc).__name__}: {text}", settings.secret())
    return MailError("mail.failed", server=server, detail=detail)


def _masked(text: str, secret: str | None) -> str:
    """One line; the password is masked should a server echo it back."""
    text = " ".join(text.split())
    return text.replace(secret, "***") if secret else text
