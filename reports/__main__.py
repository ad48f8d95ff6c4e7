"""Command line: the monthly review pack.

    python -m reports --db data/warehouse.duckdb pack --month 2026-10 [--region 华东 | --store 上海徐汇店 | --team 售后一组] --out 复盘.pdf|复盘.xlsx [--refresh] [--by 姓名] [--lang en]

The pack of that month and scope is built and frozen on first use; later calls export the stored
figures unchanged.  ``--refresh`` rebuilds it from the current data (logged with ``--by``).
Exit codes: 0 done; 2 a bad argument (month, scope, output type) with the reason on stderr.
"""
from __future__ import annotations

import argparse
from pathlib import Path
import sys

from metrics import Scope
from metrics.__main__ import run
from metrics.months import month_arg
from reports.errors import ReportError
from reports.excel import write_excel
from reports.pack import PackScope, actions, comments, create
from reports.pdf import write_pdf
import texts
from warehouse.db import actor, cli_texts, command_parser


def cmd_pack(args, wh) -> int:

    level, value = next(((k, getattr(args, k)) for k in ("region", "store", "team") if getattr(args, k)), ("all", None))
    scope = PackScope(level, value)
    out = Path(args.out)
    if out.suffix.lower() not in (".pdf", ".xlsx"):
        raise ReportError("report.bad_out", name=out.name)
    pack = create(wh, args.month, scope, viewer=Scope.all(), by=args.by or actor(), refresh=args.refresh)
    extra = dict(comments=comments(wh, pack.pack_id), actions=actions(wh, args.month, scope), lang=args.lang)
    (write_pdf if out.suffix.lower() == ".pdf" else write_excel)(pack, out, **extra)
    refreshed = pack.meta.get("refreshed_at")
    print(texts.text("cli.pack_written", args.lang, out=out, month=args.month, scope=scope.label(args.lang),
                     created=pack.meta["created_at"],
                     refreshed=texts.text("cli.pack_refreshed", args.lang, at=refreshed) if refreshed else ""))
    return 0


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    say = cli_texts(argv)   # help in the language the command line asks for
    p, sub = command_parser("python -m reports", say("cli.h.reports.about"), argv)
    k = sub.add_parser("pack", help=say("cli.h.reports.pack"))
    k.add_argument("--month", required=True, type=month_arg, metavar="YYYY-MM")
    who = k.add_mutually_exclusive_group()
    who.add_argument("--region", help=say("cli.h.reports.region"))
    who.add_argument("--store", help=say("cli.h.reports.store"))
    who.add_argument("--team", help=say("cli.h.reports.team"))
    k.add_argument("--out", required=True, help=say("cli.h.reports.out"))
    k.add_argument("--refresh", action="store_true", help=say("cli.h.reports.refresh"))
    k.add_argument("--by", help=say("cli.h.reports.by"))
    k.add_argument("--lang", choices=list(texts.LANGS), default=argparse.SUPPRESS, help=say("cli.h.reports.lang"))
    k.set_defaults(func=cmd_pack)
    return p


def main(argv: list[str] | None = None) -> int:
    return run(build_parser(argv).parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
