"""``youthbot units``: load a province's communes and wards, import other units, and keep
the list right: rename, hide from the picker, remove a mistaken one, merge duplicates."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.application.app import App
from bot.campaign.lookup import find_unit
from bot.campaign.units import (
    MAX_NAME,
    SOURCE_PROVINCES,
    all_provinces,
    parse_units_csv,
    province_by_codename,
    province_unit_code,
    province_units,
)
from bot.clustering.normalize import fold
from bot.commands import CommandError, cli_tr, help_text, with_app
from locales import Translator
from storage.models import Unit, UnitKind, UnitUsage


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("units", help=help_text("cli.help.units"))
    actions = parser.add_subparsers(
        dest="units_action", required=True, metavar=help_text("cli.help.metavar.action")
    )

    load = actions.add_parser("load", help=help_text("cli.help.units.load"))
    load.add_argument(
        "--province",
        metavar=help_text("cli.help.metavar.province"),
        help=help_text("cli.help.units.load.province"),
    )
    load.set_defaults(func=with_app(_load))

    imp = actions.add_parser("import", help=help_text("cli.help.units.import"))
    imp.add_argument(
        "file",
        type=Path,
        metavar=help_text("cli.help.metavar.file"),
        help=help_text("cli.help.units.import.file"),
    )
    imp.set_defaults(func=with_app(_import))

    lst = actions.add_parser("list", help=help_text("cli.help.units.list"))
    lst.add_argument(
        "--kind", choices=[k.value for k in UnitKind], help=help_text("cli.help.units.list.kind")
    )
    lst.add_argument("--hidden", action="store_true", help=help_text("cli.help.units.list.hidden"))
    lst.set_defaults(func=with_app(_list))

    prov = actions.add_parser("provinces", help=help_text("cli.help.units.provinces"))
    prov.set_defaults(func=_provinces)

    rename = actions.add_parser("rename", help=help_text("cli.help.units.rename"))
    _code_argument(rename)
    rename.add_argument(
        "name",
        metavar=help_text("cli.help.metavar.name"),
        help=help_text("cli.help.units.rename.name"),
    )
    rename.set_defaults(func=with_app(_rename))

    hide = actions.add_parser("hide", help=help_text("cli.help.units.hide"))
    _code_argument(hide)
    hide.set_defaults(func=with_app(_hide), hidden=True)

    unhide = actions.add_parser("unhide", help=help_text("cli.help.units.unhide"))
    _code_argument(unhide)
    unhide.set_defaults(func=with_app(_hide), hidden=False)

    remove = actions.add_parser("remove", help=help_text("cli.help.units.remove"))
    _code_argument(remove)
    remove.set_defaults(func=with_app(_remove))

    merge = actions.add_parser("merge", help=help_text("cli.help.units.merge"))
    merge.add_argument(
        "duplicate",
        metavar=help_text("cli.help.metavar.code"),
        help=help_text("cli.help.units.merge.duplicate"),
    )
    merge.add_argument(
        "--into",
        required=True,
        metavar=help_text("cli.help.metavar.code"),
        help=help_text("cli.help.units.merge.into"),
    )
    merge.set_defaults(func=with_app(_merge))


def _code_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "code", metavar=help_text("cli.help.metavar.code"), help=help_text("cli.help.units.code")
    )


async def load_province(app: App, codename: str) -> int:
    units = province_units(codename)
    return await app.store.units.upsert_many(units, now=app.clock.now())


async def _load(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    codename = (args.province or app.settings.core.province).strip().lower()
    if province_by_codename(codename) is None:
        raise CommandError(tr("cli.units.unknown_province", codename=codename), status=2)
    count = await load_province(app, codename)
    province = province_by_codename(codename)
    print(tr.n("cli.units.loaded", count - 1, province=province, codename=codename))
    if codename != app.settings.core.province:
        configured = app.settings.core.province
        print(tr("cli.units.other_province", province=province, configured=configured))
    elif not args.province and "province" not in app.settings.core.model_fields_set:
        # Nobody chose the province: say so before a campaign is hosted by the default one.
        print(tr("cli.units.default_province", codename=codename))
    return 0


async def _import(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    path: Path = args.file
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise CommandError(tr("cli.cannot_read", path=path, reason=exc.strerror), 2) from exc
    province = province_by_codename(app.settings.core.province)
    assert province is not None
    # A CSV may update its own units (re-import) but never a commune's or ward's code.
    territorial = await app.store.units.all(
        kinds=[UnitKind.PROVINCE, UnitKind.COMMUNE, UnitKind.WARD, UnitKind.SPECIAL_ZONE]
    )
    result = parse_units_csv(
        data,
        province_code=province_unit_code(province),
        existing_codes={u.code for u in territorial},
    )
    if result.errors:
        for error in result.errors:
            print(f"{path}: {error.render(tr)}")
        raise CommandError(tr.n("cli.units.bad_rows", len(result.errors), path=path))
    await app.store.units.upsert_many(result.units, now=app.clock.now())
    print(tr.n("cli.units.imported", len(result.units), path=path))
    return 0


async def _list(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    kinds = [UnitKind(args.kind)] if args.kind else None
    units = await app.store.units.all(kinds=kinds)
    if args.hidden:
        units = [u for u in units if u.hidden]
    kind_names = {kind: tr(f"unit_kind.{kind.value}") for kind in UnitKind}
    width = max(len(name) for name in kind_names.values())
    hidden_mark = tr("cli.units.hidden_mark")
    for unit in units:
        mark = f"  {hidden_mark}" if unit.hidden else ""
        print(f"{unit.code:<14} {kind_names[unit.kind]:<{width}} {unit.name}{mark}")
    hidden = sum(u.hidden for u in units)
    if hidden and not args.hidden:
        print(tr.n("cli.units.count_hidden", len(units), hidden=hidden))
    else:
        print(tr.n("cli.units.count", len(units)))
    return 0


def _provinces(args: argparse.Namespace) -> int:
    for province in all_provinces():
        print(f"{province.codename:<16} {province.name}")
    return 0


def _label(unit: Unit) -> str:
    return f"{unit.code} ({unit.name})"


async def _rename(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    unit = await find_unit(app.store, args.code)
    name = " ".join(args.name.split())
    if not name:
        raise CommandError(tr("cli.units.empty_name"), status=2)
    if len(name) > MAX_NAME:
        raise CommandError(tr("cli.units.long_name", max=MAX_NAME), status=2)
    if name == unit.name:
        print(tr("cli.units.same_name", code=unit.code, name=name))
        return 0
    await app.store.units.rename(unit.id, name=name, search_key=fold(name))
    await app.store.audit.record(
        "unit.rename", at=app.clock.now(), target=f"unit:{unit.code}", detail={"from": unit.name}
    )
    print(tr("cli.units.renamed", code=unit.code, old=unit.name, new=name))
    return 0


async def _hide(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    unit = await find_unit(app.store, args.code)
    if unit.kind == UnitKind.PROVINCE:
        raise CommandError(tr("cli.units.province_unit", unit=_label(unit)), status=2)
    if unit.hidden == args.hidden:
        if args.hidden:
            print(tr("cli.units.already_hidden", unit=_label(unit)))
        else:
            print(tr("cli.units.not_hidden", unit=_label(unit)))
        return 0
    await app.store.units.set_hidden(unit.id, args.hidden)
    action = "unit.hide" if args.hidden else "unit.unhide"
    await app.store.audit.record(action, at=app.clock.now(), target=f"unit:{unit.code}")
    if args.hidden:
        usage = await app.store.units.usage(unit.id)
        print(tr.n("cli.units.hidden", usage.questions, unit=_label(unit), code=unit.code))
    else:
        print(tr("cli.units.unhidden", unit=_label(unit)))
    return 0


def _uses(usage: UnitUsage, tr: Translator) -> str:
    """ "3 câu hỏi, 1 vai trò Bí thư Đoàn" — what refers to a unit, or moved with it."""
    parts = [
        tr.n("cli.units.use.questions", usage.questions) if usage.questions else "",
        tr.n("cli.units.use.supports", usage.supports) if usage.supports else "",
        tr.n("cli.units.use.people", usage.people) if usage.people else "",
        tr.n("cli.units.use.secretaries", usage.secretaries) if usage.secretaries else "",
        tr.n("cli.units.use.invites", usage.invites) if usage.invites else "",
        tr.n("cli.units.use.broadcasts", usage.broadcasts) if usage.broadcasts else "",
        tr.n("cli.units.use.campaigns", usage.campaigns) if usage.campaigns else "",
    ]
    return ", ".join(part for part in parts if part)


async def _remove(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    unit = await find_unit(app.store, args.code)
    if unit.kind == UnitKind.PROVINCE:
        raise CommandError(tr("cli.units.province_unit", unit=_label(unit)), status=2)
    usage = await app.store.units.usage(unit.id)
    if usage.blocks_removal:
        uses = _uses(
            UnitUsage(
                questions=usage.questions,
                supports=usage.supports,
                secretaries=usage.secretaries,
                broadcasts=usage.broadcasts,
                campaigns=usage.campaigns,
            ),
            tr,
        )
        raise CommandError(tr("cli.units.in_use", unit=_label(unit), uses=uses, code=unit.code))
    await app.store.units.remove(unit)
    await app.store.audit.record(
        "unit.remove", at=app.clock.now(), target=f"unit:{unit.code}", detail={"name": unit.name}
    )
    line = tr("cli.units.removed", unit=_label(unit))
    if usage.people:
        line += "; " + tr.n("cli.units.removed_people", usage.people)
    if unit.source == SOURCE_PROVINCES:
        line += "; " + tr("cli.units.removed_reload", code=unit.code)
    print(line)
    return 0


async def _merge(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    duplicate = await find_unit(app.store, args.duplicate)
    into = await find_unit(app.store, args.into)
    if duplicate.id == into.id:
        raise CommandError(tr("cli.units.merge_same", unit=_label(into)), status=2)
    for unit in (duplicate, into):
        if unit.kind == UnitKind.PROVINCE:
            raise CommandError(tr("cli.units.province_unit", unit=_label(unit)), status=2)
    official = duplicate.source == SOURCE_PROVINCES  # `units load` would bring it back
    moved = await app.store.units.merge(duplicate, into, now=app.clock.now(), keep_hidden=official)
    await app.store.audit.record(
        "unit.merge",
        at=app.clock.now(),
        target=f"unit:{into.code}",
        detail={"removed": duplicate.code, "name": duplicate.name},
    )
    done = {
        "duplicate": _label(duplicate),
        "into": _label(into),
        "moved": (
            tr("cli.units.moved", items=_uses(moved, tr))
            if _uses(moved, tr)
            else tr("cli.units.nothing_moved")
        ),
        "code": duplicate.code,
    }
    if official:
        print(tr("cli.units.merged_hidden", **done))
    else:
        print(tr("cli.units.merged", **done))
    return 0
