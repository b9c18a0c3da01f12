"""``youthbot campaign edit`` options for who issues, signs and receives each document
(Nghị định 30/2020/NĐ-CP), and how ``campaign show`` prints them.

Not a subcommand of its own: :mod:`bot.commands.campaign` adds these options to ``edit``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from bot.application.app import App
from bot.commands import CommandError, cli_tr, help_text
from bot.documents.build import DigestScope, issuer_for
from bot.documents.issuers import PLACEHOLDERS, Issuer, check_placeholders, level_of
from storage.issuers import LEVELS
from storage.models import Campaign

#: option → (stored field, its help with an example, in the operator's language).
TEXT_OPTIONS: dict[str, tuple[str, Callable[[], str]]] = {
    "--issuer": ("issuer", lambda: help_text("cli.help.documents.issuer")),
    "--issuer-parent": ("issuer_parent", lambda: help_text("cli.help.documents.issuer_parent")),
    "--symbol": ("symbol", lambda: help_text("cli.help.documents.symbol")),
    "--doc-number": ("number", lambda: help_text("cli.help.documents.doc_number")),
    "--date-place": ("place", lambda: help_text("cli.help.documents.date_place")),
    "--signer-authority": (
        "signer_authority",
        lambda: help_text("cli.help.documents.signer_authority"),
    ),
    "--signer-title": ("signer_title", lambda: help_text("cli.help.documents.signer_title")),
    "--signer-name": ("signer_name", lambda: help_text("cli.help.documents.signer_name")),
    "--keep-copy": ("archive", lambda: help_text("cli.help.documents.keep_copy")),
}


def add_document_options(parser: argparse.ArgumentParser) -> None:
    """The document options of ``campaign edit`` (each with help and an example)."""
    group = parser.add_argument_group(
        help_text("cli.help.documents.title"),
        help_text(
            "cli.help.documents.description",
            placeholders=", ".join("{" + name + "}" for name in PLACEHOLDERS),
            unit=PLACEHOLDERS["unit"],
        ),
    )
    text = help_text("cli.help.metavar.text")
    group.add_argument(
        "--documents",
        choices=LEVELS,
        metavar=help_text("cli.help.metavar.level"),
        help=help_text("cli.help.documents.documents"),
    )
    group.add_argument(
        "--documents-for",
        metavar=help_text("cli.help.metavar.code_or_name"),
        help=help_text("cli.help.documents.documents_for"),
    )
    for option, (field, help_for) in TEXT_OPTIONS.items():
        group.add_argument(option, dest=f"doc_{field}", metavar=text, help=help_for())
    group.add_argument(
        "--letterhead",
        choices=("state", "youth-union"),
        dest="doc_letterhead",
        help=help_text("cli.help.documents.letterhead"),
    )
    group.add_argument(
        "--recipient",
        action="append",
        dest="doc_recipients",
        metavar=text,
        help=help_text("cli.help.documents.recipient"),
    )
    group.add_argument(
        "--reset-documents",
        action="store_true",
        help=help_text("cli.help.documents.reset"),
    )


def wants_documents(args: argparse.Namespace) -> bool:
    return bool(
        args.documents
        or args.documents_for
        or args.reset_documents
        or args.doc_letterhead
        or args.doc_recipients is not None
        or any(getattr(args, f"doc_{field}") is not None for field, _ in TEXT_OPTIONS.values())
    )


async def edit_documents(args: argparse.Namespace, app: App, campaign: Campaign) -> DigestScope:
    """Store the document options; return the scope whose document they set."""
    tr = cli_tr(app)
    target = (args.documents_for or "").strip()
    level = args.documents
    scope = DigestScope()
    if target and level != "department":
        unit = await app.store.units.by_code(target)
        if unit is None:
            raise CommandError(tr("cli.no_unit", code=target), status=2)
        unit_level = level_of(unit.kind)
        if level is not None and level != unit_level:
            raise CommandError(
                tr("cli.documents.wrong_level", code=target, level=level, actual=unit_level),
                status=2,
            )
        level = unit_level
        scope = DigestScope(kind="unit", unit_id=unit.id)
    level = level or "province"
    if level == "department":
        scope = DigestScope(kind="department", department=target or "Sở Y tế")
    values: dict[str, Any] = {}
    for field, _ in TEXT_OPTIONS.values():
        value = getattr(args, f"doc_{field}")
        if value is not None:
            values[field] = _checked(" ".join(value.split()), tr=tr)
    if args.doc_letterhead:
        values["letterhead"] = args.doc_letterhead.replace("-", "_")
    if args.doc_recipients is not None:
        values["recipients"] = tuple(
            _checked(" ".join(r.split()), tr=tr) for r in args.doc_recipients if r.strip()
        )
    now = app.clock.now()
    if args.reset_documents:
        await app.store.issuers.clear(campaign.id, level, target)
    if values:
        await app.store.issuers.set(campaign.id, level, target, now=now, **values)
    return scope


def _checked(text: str, *, tr: Any) -> str:
    try:
        unknown = check_placeholders(text)
    except ValueError as exc:
        raise CommandError(tr("cli.documents.braces", text=text), status=2) from exc
    if unknown:
        known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        raise CommandError(
            tr("cli.documents.placeholder", name="{" + unknown[0] + "}", known=known), status=2
        )
    return text


def level_label(level: str, tr: Any) -> str:
    labels = {
        "province": tr("cli.documents.level.province"),
        "commune": tr("cli.documents.level.commune"),
        "school": tr("cli.documents.level.school"),
        "department": tr("cli.documents.level.department"),
    }
    return str(labels[level])


def describe_issuer(issuer: Issuer, *, app: App) -> list[str]:
    """A few lines saying what the document's head and foot will print."""
    tr = cli_tr(app)
    head = " / ".join(x.upper() for x in (issuer.parent, issuer.name) if x)
    number = f"{issuer.number or '…'}/{issuer.symbol}" if issuer.symbol else issuer.number or "…"
    signer = ", ".join(
        x for x in (issuer.signer.authority, issuer.signer.title, issuer.signer.name) if x
    )
    recipients = "; ".join(
        (*issuer.recipients, "Lưu: VT" + (f", {issuer.archive}" if issuer.archive else ""))
    )
    return [
        f"    {tr('cli.documents.issuer')}: {head}",
        f"    {tr('cli.documents.number')}: {number} · {issuer.place}",
        "    "
        + (
            tr("cli.documents.letterhead.youth_union")
            if issuer.letterhead == "youth_union"
            else tr("cli.documents.letterhead.state")
        ),
        f"    {tr('cli.documents.signer')}: {signer or '-'}"
        + ("" if issuer.signer.name else f" ({tr('cli.documents.no_name')})"),
        f"    {tr('cli.documents.recipients')}: {recipients}",
    ]


async def format_documents(app: App, campaign: Campaign) -> list[str]:
    """What ``campaign show`` prints about the documents: each level as it resolves (for
    the levels of units, with an example unit), then each unit or department set apart."""
    tr = cli_tr(app)
    lines = [tr("cli.documents.title")]
    examples: dict[str, int | None] = {"commune": None, "school": None}
    for unit in await app.store.units.all():
        kind_level = level_of(unit.kind)
        if kind_level in examples and examples[kind_level] is None:
            examples[kind_level] = unit.id
    scopes: list[tuple[str, str, DigestScope]] = [("province", "", DigestScope())]
    for name in ("commune", "school"):
        unit_id = examples[name]
        found = await app.store.units.get(unit_id) if unit_id is not None else None
        if found is not None:
            scopes.append((name, found.name, DigestScope(kind="unit", unit_id=found.id)))
    example = "Sở Y tế"
    scopes.append(("department", example, DigestScope(kind="department", department=example)))
    for name, shown, scope in scopes:
        label = level_label(name, tr)
        if shown:
            label += " " + tr("cli.documents.example", name=shown)
        lines.append(f"  {label}")
        lines.extend(describe_issuer(await issuer_for(app.store, campaign, scope), app=app))
    for row in await app.store.issuers.rows(campaign.id):
        if not row.target:
            continue
        lines.append(f"  {level_label(row.level, tr)} — {row.target}")
        if row.level == "department":
            scope = DigestScope(kind="department", department=row.target)
        else:
            found = await app.store.units.by_code(row.target)
            if found is None:
                continue
            scope = DigestScope(kind="unit", unit_id=found.id)
        lines.extend(describe_issuer(await issuer_for(app.store, campaign, scope), app=app))
    return lines
