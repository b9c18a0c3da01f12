"""``youthbot units``: load a province's communes and wards, import other units."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.application.app import App
from bot.campaign.units import (
    all_provinces,
    parse_units_csv,
    province_by_codename,
    province_unit_code,
    province_units,
)
from bot.commands import CommandError, cli_tr, with_app
from storage.models import UnitKind


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("units", help="communes, wards, schools, agencies (đơn vị)")
    actions = parser.add_subparsers(dest="units_action", required=True, metavar="ACTION")

    load = actions.add_parser("load", help="load the configured province's communes and wards")
    load.add_argument("--province", help="vietnam-provinces codename (default: YOUTHBOT_PROVINCE)")
    load.set_defaults(func=with_app(_load))

    imp = actions.add_parser("import", help="import schools, agencies... from a CSV file")
    imp.add_argument(
        "file", type=Path, help="CSV with columns code,name,kind[,address,parent_code]"
    )
    imp.set_defaults(func=with_app(_import))

    lst = actions.add_parser("list", help="list units")
    lst.add_argument("--kind", choices=[k.value for k in UnitKind])
    lst.set_defaults(func=with_app(_list))

    prov = actions.add_parser("provinces", help="list the 34 provinces and their codenames")
    prov.set_defaults(func=_provinces)


async def load_province(app: App, codename: str) -> int:
    units = province_units(codename)
    return await app.store.units.upsert_many(units, now=app.clock.now())


async def _load(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    codename = args.province or app.settings.core.province
    if province_by_codename(codename) is None:
        raise CommandError(tr("cli.units.unknown_province", codename=codename), status=2)
    count = await load_province(app, codename)
    province = province_by_codename(codename)
    print(tr("cli.units.loaded", count=count - 1, province=province, codename=codename))
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
        raise CommandError(tr("cli.units.bad_rows", path=path, count=len(result.errors)))
    await app.store.units.upsert_many(result.units, now=app.clock.now())
    print(tr("cli.units.imported", count=len(result.units), path=path))
    return 0


async def _list(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    kinds = [UnitKind(args.kind)] if args.kind else None
    units = await app.store.units.all(kinds=kinds)
    for unit in units:
        print(f"{unit.code:<14} {unit.kind.value:<13} {unit.name}")
    print(tr("cli.units.count", count=len(units)))
    return 0


def _provinces(args: argparse.Namespace) -> int:
    for province in all_provinces():
        print(f"{province.codename:<16} {province.name}")
    return 0
