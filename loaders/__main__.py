"""Command line: ``python -m loaders --db DB load KIND FILE…`` and friends.

Exit codes: 0 done; 2 a file or argument was refused (the message on stderr names the file and
what to change).  Later files still load when an earlier one is refused.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys

import sqlalchemy as sa

from loaders.demo import load_demo
import texts
from loaders.errors import LoadError
from loaders.mapping import load_mapping
from loaders.pipeline import load_file
from loaders.schema import SCHEMAS
from loaders.status import is_empty
from warehouse import open_warehouse
from warehouse.db import cli_texts, command_parser
from warehouse.safety import spreadsheet_safe


def _progress(total_files: int):
    """A bar over files × steps when stdout is a terminal, else nothing."""
    if not sys.stdout.isatty():
        return None, lambda _s: None
    from tqdm import tqdm

    bar = tqdm(total=total_files * 5, unit="步", leave=False, ncols=100, mininterval=0)

    def step(name) -> None:
        bar.set_description(str(name))
        bar.update(1)

    return bar, step


def cmd_load(args) -> int:
    wh = open_warehouse(args.db)
    try:
        mapping = load_mapping(args.mapping)
    except LoadError as exc:
        print(f"错误 error: {exc.render(args.lang)}", file=sys.stderr)
        return 2
    bar, step = _progress(len(args.files))
    status = 0
    for f in args.files:
        try:
            report = load_file(wh, args.kind, f, mapping=mapping, strict=args.strict, sheet=args.sheet,
                               progress=step)
        except LoadError as exc:
            print(f"错误 error: {exc.render(args.lang)}", file=sys.stderr)
            status = 2
            continue
        finally:
            if bar is not None:
                bar.n = min(bar.total, (args.files.index(f) + 1) * 5)
                bar.refresh()
        out = report.summary(args.lang)
        if bar is not None:
            bar.write(out)
        else:
            print(out, flush=True)
    if bar is not None:
        bar.close()
    return status


def cmd_log(args) -> int:
    wh = open_warehouse(args.db)
    with wh.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT load_id, loaded_at, loaded_by, kind, file_name, status, rows_read, rows_inserted, "
            "rows_replaced, rows_rejected, rows_skipped, orphans, duration_seconds, sha256 "
            "FROM load_log ORDER BY load_id")).all()
    w = csv.writer(sys.stdout)
    w.writerow(["load_id", "loaded_at", "loaded_by", "kind", "file", "status", "read", "inserted", "replaced",
                "rejected", "skipped", "orphans", "seconds", "sha256"])
    for r in rows:
        w.writerow([spreadsheet_safe(str(v)) if isinstance(v, str) else v for v in r])
    return 0


def cmd_rejects(args) -> int:
    """Rejected rows as CSV with their original headers, so a user can fix and reload them."""
    wh = open_warehouse(args.db)
    sql = "SELECT file_name, line_no, reason, raw_row FROM rejects"
    params = {}
    if args.file:
        sql += " WHERE file_name = :f"
        params["f"] = args.file
    with wh.connect() as conn:
        rows = conn.execute(sa.text(sql + " ORDER BY load_id, line_no"), params).all()
    headers: list[str] = []
    parsed = []
    for file_name, line_no, reason, raw in rows:
        cells = json.loads(raw)
        for h in cells:
            if h not in headers:
                headers.append(h)
        parsed.append((file_name, line_no, reason, cells))
    w = csv.writer(sys.stdout)
    w.writerow([spreadsheet_safe(h) for h in ("拒收原因", "原文件", "原行号", *headers)])
    for file_name, line_no, reason, cells in parsed:
        w.writerow([spreadsheet_safe(v) for v in (reason, file_name, line_no, *(cells.get(h) for h in headers))])
    return 0


def cmd_demo(args) -> int:
    wh = open_warehouse(args.db)
    if args.if_empty:
        if not is_empty(wh):
            print(texts.text("cli.demo_skipped", args.lang, db=args.db))
            return 0
    for report in load_demo(wh, months=args.months, out_dir=args.out, end_month=args.end_month):
        print(report.summary(args.lang), flush=True)
    return 0


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    say = cli_texts(argv)   # help in the language the command line asks for
    p, sub = command_parser("python -m loaders", say("cli.h.loaders.about"), argv)
    ld = sub.add_parser("load", help=say("cli.h.loaders.load"))
    ld.add_argument("kind", choices=list(SCHEMAS), help=say("cli.h.loaders.kind"))
    ld.add_argument("files", nargs="+", metavar="FILE")
    ld.add_argument("--mapping", help=say("cli.h.loaders.mapping"))
    ld.add_argument("--strict", action="store_true", help=say("cli.h.loaders.strict"))
    ld.add_argument("--sheet", help=say("cli.h.loaders.sheet"))
    ld.set_defaults(func=cmd_load)
    sub.add_parser("log", help=say("cli.h.loaders.log")).set_defaults(func=cmd_log)
    rj = sub.add_parser("rejects", help=say("cli.h.loaders.rejects"))
    rj.add_argument("--file", help=say("cli.h.loaders.file"))
    rj.set_defaults(func=cmd_rejects)
    dm = sub.add_parser("demo", help=say("cli.h.loaders.demo"))
    dm.add_argument("--months", type=int, default=12)
    dm.add_argument("--out", default="data/demo", help=say("cli.h.loaders.out"))
    dm.add_argument("--end-month", default=None, help=say("cli.h.loaders.end_month"))
    dm.add_argument("--if-empty", action="store_true", help=say("cli.h.loaders.if_empty"))
    dm.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser(argv).parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
