"""``youthbot link``: a unit's links, QR codes and a printable A4 poster, for every channel
configured: Telegram's deep link (``/start u-<unit code>``, so the unit is already known)
and the Zalo bot's link (``ZALO_BOT_LINK`` or ``--zalo-link``; Zalo bots take no start
parameter, so the poster says which unit name to type).

The Telegram bot's username comes from Telegram (getMe) when ``TELEGRAM_BOT_TOKEN`` is set,
else from ``--bot-username``. The poster names the organising body, the dialogue date, the
deadline and the campaign's contact (``campaign edit --organiser/--contact``).
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.application.app import App
from bot.application.config import https_url
from bot.campaign.lookup import find_unit
from bot.campaign.setup import resolve_campaign
from bot.campaign.unitsearch import short_name
from bot.commands import (
    CommandError,
    add_campaign_option,
    cli_tr,
    help_text,
    with_app,
)
from bot.documents.build import host_name
from bot.documents.posters import deep_link, poster_text, unit_payload, write_poster_files
from locales import Translator
from storage.models import DeadlineKind


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("link", help=help_text("cli.help.link"))
    parser.add_argument(
        "--unit",
        required=True,
        metavar=help_text("cli.help.metavar.code"),
        help=help_text("cli.help.link.unit"),
    )
    add_campaign_option(parser)
    parser.add_argument(
        "--out",
        type=Path,
        metavar=help_text("cli.help.metavar.folder"),
        help=help_text("cli.help.link.out"),
    )
    parser.add_argument(
        "--bot-username",
        metavar=help_text("cli.help.metavar.name"),
        help=help_text("cli.help.link.bot_username"),
    )
    parser.add_argument(
        "--zalo-link",
        metavar=help_text("cli.help.metavar.link"),
        help=help_text("cli.help.link.zalo_link"),
    )
    parser.add_argument(
        "--language",
        choices=["vi", "en"],
        default="vi",
        help=help_text("cli.help.link.language"),
    )
    parser.set_defaults(func=with_app(_link))


async def _bot_username(app: App, given: str | None, *, has_zalo: bool) -> str | None:
    """The Telegram bot's username, or None when Telegram is not set up (and Zalo is)."""
    tr = cli_tr(app)
    if app.settings.telegram.bot_token is None:
        if not given:
            if has_zalo:
                return None
            raise CommandError(tr("cli.link.no_channel"), status=2)
        return given.removeprefix("@")
    from bot.channels.telegram import TelegramSetupError, fetch_bot_username

    try:
        username = await fetch_bot_username(app)
    except TelegramSetupError as exc:
        if given:
            print(tr("cli.link.fallback", error=exc.render(tr), name=given))
            return given.removeprefix("@")
        if has_zalo:
            print(tr("cli.link.telegram_skipped", error=exc.render(tr)))
            return None
        raise CommandError(exc.render(tr)) from exc
    if given and given.removeprefix("@").lower() != username.lower():
        print(tr("cli.link.other_bot", username=username, given=given))
    return username


def _zalo_link(app: App, given: str | None, tr: Translator) -> str | None:
    if given:
        try:
            return https_url(given)
        except ValueError as exc:
            raise CommandError(tr("cli.link.bad_zalo_link", link=given), status=2) from exc
    if app.settings.zalo.bot_link:
        return app.settings.zalo.bot_link
    if app.settings.zalo.bot_token is not None:
        print(tr("cli.link.zalo_no_link"))
    return None


async def _link(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    unit = await find_unit(app.store, args.unit)
    payload = unit_payload(unit.code)
    campaign = await resolve_campaign(app, args.campaign)
    zalo = _zalo_link(app, args.zalo_link, tr)
    username = await _bot_username(app, args.bot_username, has_zalo=zalo is not None)
    telegram = deep_link(username, payload) if username else None
    text = poster_text(
        campaign_title=campaign.title,
        unit_name=unit.name,
        unit_typed=short_name(unit),
        closes=campaign.deadline(DeadlineKind.QUESTIONS_CLOSE),
        dialogue=campaign.dialogue_date,
        organiser=campaign.organiser or host_name(campaign, args.language),
        contact=campaign.contact,
        telegram_link=telegram,
        zalo_link=zalo,
        language=args.language,
    )
    out_dir: Path = args.out or app.settings.core.out_dir
    try:
        files = await asyncio.to_thread(
            write_poster_files, text, out_dir=out_dir, stem=f"link-{unit.code}-c{campaign.id}"
        )
    except OSError as exc:
        raise CommandError(tr("cli.cannot_write", path=out_dir, reason=exc.strerror)) from exc
    for channel, qr in zip(text.channels, files.qr_png, strict=True):
        print(tr("cli.link.channel", channel=channel.name, link=channel.link))
        print(tr("cli.link.qr", path=qr))
    print(tr("cli.link.poster", path=files.poster_png))
    print(tr("cli.link.poster", path=files.poster_pdf))
    if not campaign.contact:
        print(tr("cli.link.no_contact", id=campaign.id))
    return 0
