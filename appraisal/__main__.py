"""Command line of the appraisal: ``python -m appraisal --db DB month --month M --division D`` and
``demo-history``.  ``python -m metrics appraisal …`` still works: it hands over to ``month`` here.

Exit codes: 0 done; 2 a request refused (the message on stderr says what to change)."""
from __future__ import annotations

import argparse
import sys

import texts
from appraisal.export import workbook
from appraisal.month import ITEM_COLUMNS, appraisal
from appraisal.publish import publish, publish_history
from metrics.__main__ import _emit, _number, run
from metrics.months import month_arg
from metrics.scope import Scope
from warehouse.db import actor, cli_texts, command_parser


def cmd_month(args, wh) -> int:
    """One division's month: ``agent_id, agent_name, team, <each item>, total, composite, pay, rank, flags``
    (flags as codes joined by ``;``).  ``--publish`` freezes the month first; ``--xlsx`` writes the
    workbook (summary + one sheet per agent)."""
    if args.publish or args.republish:
        n = publish(wh, args.month, args.division, by=args.by or actor(), republish=args.republish)
        print(texts.text("cli.published", args.lang, month=args.month, division=args.division, n=n), file=sys.stderr)
    month = appraisal(wh, args.month, args.division, scope=Scope.all())
    header = ["agent_id", "agent_name", "team", *ITEM_COLUMNS[args.division], "total", "composite", "pay", "rank",
              "flags"]
    rows = [[r[h] if h in ("agent_id", "agent_name", "team") else
             ";".join(r[h]) if h == "flags" else _number(r[h]) for h in header]
            for r in month.frame.to_dict("records")]
    if args.xlsx:
        with open(args.xlsx, "wb") as fh:
            fh.write(workbook(month, args.lang))
        print(texts.text("cli.written", args.lang, path=args.xlsx), file=sys.stderr)
    _emit(header, rows, args.format)
    return 0


def cmd_demo_history(args, wh) -> int:
    """Publish every loaded month but the last that is not yet published, as the company would have at
    each month's review: the demo's streaks, rectification plans and year view need that history."""
    done = publish_history(wh, by=args.by or "demo")
    for month, division, n in done:
        print(texts.text("cli.published", args.lang, month=month, division=division, n=n))
    return 0


def add_month_parser(sub, say) -> argparse.ArgumentParser:
    a = sub.add_parser("month", help=say("cli.h.appraisal.month"))
    a.add_argument("--month", required=True, type=month_arg, metavar="YYYY-MM")
    a.add_argument("--division", required=True, choices=("presales", "aftersales"))
    a.add_argument("--format", choices=("csv", "json", "table"), default="table")
    a.add_argument("--xlsx", metavar="FILE", help=say("cli.h.appraisal.xlsx"))
    a.add_argument("--publish", action="store_true", help=say("cli.h.appraisal.publish"))
    a.add_argument("--republish", action="store_true", help=say("cli.h.appraisal.republish"))
    a.add_argument("--by", help=say("cli.h.appraisal.by"))
    a.set_defaults(func=cmd_month)
    return a


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    say = cli_texts(argv)   # help in the language the command line asks for
    p, sub = command_parser("python -m appraisal", say("cli.h.appraisal.about"), argv)
    add_month_parser(sub, say)
    h = sub.add_parser("demo-history", help=say("cli.h.appraisal.demo_history"))
    h.add_argument("--by", help=say("cli.h.appraisal.history_by"))
    h.set_defaults(func=cmd_demo_history)
    return p


def main(argv: list[str] | None = None) -> int:
    return run(build_parser(argv).parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
