"""E-mailing a digest with its files (officials live in e-mail; people on Zalo get files
this way, since Zalo cannot carry them)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.application.app import App
from bot.delivery.mailer import MailError, SmtpSettings, send_email
from bot.documents.produce import DigestFiles
from bot.documents.text import render_mail
from locales import translator


def smtp_settings(app: App) -> SmtpSettings:
    smtp = app.settings.smtp
    if not smtp.host:
        raise MailError("mail.no_host")
    return SmtpSettings(
        host=smtp.host,
        sender=smtp.sender,
        port=smtp.port,
        username=smtp.username,
        password=smtp.password,
        starttls=smtp.starttls,
        use_tls=smtp.use_tls,
    )


async def email_digest(app: App, files: DigestFiles, to: Sequence[str]) -> None:
    subject, body = render_mail(files.data, tr=translator(files.data.language))
    await send_email(smtp_settings(app), to=to, subject=subject, body=body, attachments=files.paths)
