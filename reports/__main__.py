"""Command line: the monthly review pack, the weekly complaint report and the monthly complaint notices.

    python -m reports --db data/warehouse.duckdb pack --month 2026-10 [--region 华东 | --store 上海徐汇店 | --team 售后一组] --out 复盘.pdf|复盘.xlsx [--refresh] [--by 姓名] [--lang en]
    python -m reports --db DB weekly --week 2026-W45 --out 投诉周报.pdf|.xlsx [--refresh] [--by 姓名] [--lang en]
    python -m reports --db DB notice --month 2026-10 [--department 装维部 | --region 华东] --out 通报.pdf|.xlsx

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
from reports import complaints as complaint_reports
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


def cmd_complaints(args, wh) -> int:
    out = Path(args.out)
    if out.suffix.lower() not in (".pdf", ".xlsx"):
        raise ReportError("report.bad_out", name=out.name)
    if args.command == "weekly":
        level, value, period = "all", None, args.week
    else:
        level, value = next(((k, getattr(args, k)) for k in ("department", "region") if getattr(args, k)), ("all", None))
        period = args.month
    report = complaint_reports.create(wh, args.command, period, level=level, value=value, viewer=Scope.all(),
                                      by=args.by or actor(), refresh=args.refresh)
    lang = getattr(args, "lang", texts.DEFAULT)
    (complaint_reports.write_pdf if out.suffix.lower() == ".pdf" else complaint_reports.write_excel)(report, out, lang)
    print(texts.text("cli.creport_written", lang, out=out, report=report.label(lang)))
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
    w = sub.add_parser("weekly", help=say("cli.h.reports.weekly"))
    w.add_argument("--week", required=True, metavar="YYYY-Www", help=say("cli.h.reports.week"))
    n = sub.add_parser("notice", help=say("cli.h.reports.notice"))
    n.add_argument("--month", required=True, type=month_arg, metavar="YYYY-MM")
    to = n.add_mutually_exclusive_group()
    to.add_argument("--department", help=say("cli.h.reports.department"))
    to.add_argument("--region", help=say("cli.h.reports.region"))
    for c in (w, n):
        c.add_argument("--out", required=True, help=say("cli.h.reports.out"))
        c.add_argument("--refresh", action="store_true", help=say("cli.h.reports.refresh"))
        c.add_argument("--by", help=say("cli.h.reports.by"))
        c.add_argument("--lang", choices=list(texts.LANGS), default=argparse.SUPPRESS, help=say("cli.h.reports.lang"))
        c.set_defaults(func=cmd_complaints)
    return p


def main(argv: list[str] | None = None) -> int:
    return run(build_parser(argv).parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
