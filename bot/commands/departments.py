"""``youthbot departments``: the province's departments and agencies ("sở, ban, ngành")
that answer questions: list, load (defaults or a CSV), add, rename, alias, migrate."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.application.app import App
from bot.campaign import departments as registry
from bot.campaign.units import province_by_codename, province_unit_code
from bot.commands import CommandError, cli_tr, help_text, with_app
from locales import Translator


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("departments", help=help_text("cli.help.departments"))
    parser.add_argument(
        "--province",
        metavar=help_text("cli.help.metavar.province"),
        help=help_text("cli.help.departments.province"),
    )
    actions = parser.add_subparsers(
        dest="departments_action", required=True, metavar=help_text("cli.help.metavar.action")
    )
    name = help_text("cli.help.metavar.name")

    lst = actions.add_parser("list", help=help_text("cli.help.departments.list"))
    lst.set_defaults(func=with_app(_list))

    load = actions.add_parser("load", help=help_text("cli.help.departments.load"))
    load.add_argument(
        "file",
        type=Path,
        nargs="?",
        metavar=help_text("cli.help.metavar.file"),
        help=help_text("cli.help.departments.load.file"),
    )
    load.set_defaults(func=with_app(_load))

    add = actions.add_parser("add", help=help_text("cli.help.departments.add"))
    add.add_argument("name", metavar=name, help=help_text("cli.help.departments.add.name"))
    add.add_argument(
        "--alias",
        action="append",
        default=[],
        metavar=help_text("cli.help.metavar.alias"),
        help=help_text("cli.help.departments.add.alias"),
    )
    add.set_defaults(func=with_app(_add))

    rename = actions.add_parser("rename", help=help_text("cli.help.departments.rename"))
    rename.add_argument(
        "old",
        metavar=help_text("cli.help.metavar.old_name"),
        help=help_text("cli.help.departments.rename.old"),
    )
    rename.add_argument(
        "new",
        metavar=help_text("cli.help.metavar.new_name"),
        help=help_text("cli.help.departments.rename.new"),
    )
    rename.set_defaults(func=with_app(_rename))

    alias = actions.add_parser("alias", help=help_text("cli.help.departments.alias"))
    alias.add_argument("name", metavar=name, help=help_text("cli.help.departments.alias.name"))
    alias.add_argument(
        "aliases",
        nargs="+",
        metavar=help_text("cli.help.metavar.alias"),
        help=help_text("cli.help.departments.alias.aliases"),
    )
    alias.set_defaults(func=with_app(_alias))

    migrate = actions.add_parser("migrate", help=help_text("cli.help.departments.migrate"))
    migrate.set_defaults(func=with_app(_migrate))


def cli_province(app: App, codename: str | None = None) -> str:
    """The province unit code (``p04``) of ``--province`` or ``YOUTHBOT_PROVINCE``."""
    name = codename or app.settings.core.province
    province = province_by_codename(name)
    if province is None:
        raise CommandError(cli_tr(app)("cli.units.unknown_province", codename=name), status=2)
    return province_unit_code(province)


async def _list(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    province = cli_province(app, args.province)
    found = await registry.departments(app.store, province, now=app.clock.now())
    for d in found:
        aliases = "; ".join(d.aliases)
        print(f"{d.name}" + (f"  ({tr('departments.aliases')}: {aliases})" if aliases else ""))
    print(tr.n("departments.count", len(found)))
    return 0


def _print_load(tr: Translator, result: registry.LoadResult) -> None:
    print(
        tr.n(
            "departments.loaded",
            len(result.added),
            aliases=tr.n("count.other_names", result.aliases_added),
        )
        if result.added or result.aliases_added
        else tr("departments.nothing_new")
    )
    for old, new in sorted(result.mapped.items()):
        print("  " + tr("departments.mapped", old=old, new=new))
    for name in result.kept:
        print("  " + tr("departments.kept", name=name))


async def _load(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    province = cli_province(app, args.province)
    now = app.clock.now()
    if args.file is None:
        seeded = await registry.ensure_registry(app.store, province, now=now)
        words = await registry.province_words(app.store, province)
        specs = registry.default_specs(words)
        result = await registry.load(app.store, province, specs, now=now)
        if seeded is not None:
            result.added = seeded.added + result.added
            result.mapped.update(seeded.mapped)
            result.kept = seeded.kept + result.kept
        _print_load(tr, result)
        return 0
    try:
        data = await asyncio.to_thread(args.file.read_bytes)
    except OSError as exc:
        raise CommandError(tr("cli.cannot_read", path=args.file, reason=exc.strerror), 2) from exc
    specs, problems = registry.parse_departments_csv(data)
    if problems:
        for problem in problems:
            print(f"{args.file}: {problem.render(tr)}")
        raise CommandError(tr("departments.csv.refused", path=args.file), status=2)
    await registry.ensure_registry(app.store, province, now=now)
    _print_load(tr, await registry.load(app.store, province, specs, now=now))
    return 0


async def _add(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    province = cli_province(app, args.province)
    department = await registry.add(
        app.store, province, args.name, tuple(args.alias), now=app.clock.now()
    )
    print(tr("departments.added", name=department.name))
    return 0


async def _rename(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    province = cli_province(app, args.province)
    before, changed = await registry.rename(
        app.store, province, args.old, args.new, now=app.clock.now()
    )
    new = " ".join(args.new.split())
    print(tr.n("departments.renamed", changed, old=before.name, new=new))
    return 0


async def _alias(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    province = cli_province(app, args.province)
    department, added = await registry.add_aliases(
        app.store, province, args.name, tuple(args.aliases), now=app.clock.now()
    )
    print(tr.n("departments.aliased", added, name=department.name))
    return 0


async def _migrate(args: argparse.Namespace, app: App) -> int:
    tr = cli_tr(app)
    province = cli_province(app, args.province)
    result = await registry.migrate(app.store, province, now=app.clock.now())
    if not result.mapped and not result.kept:
        print(tr("departments.migrated_none"))
    for old, new in sorted(result.mapped.items()):
        print(tr("departments.mapped", old=old, new=new))
    for name in result.kept:
        print(tr("departments.kept", name=name))
    return 0
