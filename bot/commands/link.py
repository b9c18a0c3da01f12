"""``youthbot link``: a unit's Telegram deep link, its QR code and a printable A4 poster.

Whoever scans the QR code starts the bot with ``/start u-<unit code>``, so the unit is
already known (one tap to confirm). The bot's username comes from Telegram (getMe) when
``TELEGRAM_BOT_TOKEN`` is set, else from ``--bot-username``.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.application.app import App
from bot.campaign.setup import resolve_campaign
from bot.commands import CommandError, cli_tr, with_app
from bot.documents.posters import deep_link, poster_text, unit_payload, write_poster_files
from storage.models import DeadlineKind


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "link", help="a unit's Telegram deep link, QR code and A4 poster (PNG and PDF)"
    )
    parser.add_argument("--unit", required=True, metavar="CODE", help="unit code (units list)")
    parser.add_argument(
        "--campaign", type=int, metavar="ID", help="campaign (default: the only active one)"
    )
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="output folder (default: YOUTHBOT_OUT_DIR)"
    )
    parser.add_argument(
        "--bot-username",
        metavar="NAME",
        help="the bot's @username, needed when TELEGRAM_BOT_TOKEN is not set",
    )
    parser.add_argument(
        "--language", choices=["vi", "en"], default="vi", help="poster language (default: vi)"
    )
    parser.set_defaults(func=with_app(_link))


async def _bot_username(app: App, given: str | None) -> str:
    tr = cli_tr(app)
    if app.settings.telegram.bot_token is None:
        if not given:
            raise CommandError(tr("cli.link.no_username"), status=2)
        return given.removeprefix("@")
    from bot.channels.telegram import TelegramSetupError, fetch_bot_username

    try:
        username = await fetch_bot_username(app)
    except TelegramSetupError as exc:
        if not given:
            raise CommandError(exc.render(tr)) from exc
        print(tr("cli.link.fallback", error=exc.render(tr), name=given))
        return given.removeprefix("@")
    if given and given.removeprefix("@").lower() != username.lower():
        print(tr("cli.link.other_bot", username=username, given=given))
    return username


async def _link(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    unit = await app.store.units.by_code(args.unit.strip())
    if unit is None:
        raise CommandError(tr("cli.no_unit", code=args.unit), status=2)
    payload = unit_payload(unit.code)
    campaign = await resolve_campaign(app, args.campaign)
    username = await _bot_username(app, args.bot_username)
    link = deep_link(username, payload)
    text = poster_text(
        link=link,
        campaign_title=campaign.title,
        unit_name=unit.name,
        closes=campaign.deadline(DeadlineKind.QUESTIONS_CLOSE),
        language=args.language,
    )
    out_dir: Path = args.out or app.settings.core.out_dir
    try:
        files = await asyncio.to_thread(
            write_poster_files, text, out_dir=out_dir, stem=f"link-{unit.code}-c{campaign.id}"
        )
    except OSError as exc:
        raise CommandError(tr("cli.cannot_write", path=out_dir, reason=exc.strerror)) from exc
    print(link)
    print(tr("cli.link.qr", path=files.qr_png))
    print(tr("cli.link.poster", path=files.poster_png))
    print(tr("cli.link.poster", path=files.poster_pdf))
    return 0
