"""Command line: ``python -m loaders --db DB load KIND FILE…`` and friends.

Exit codes: 0 done; 2 a file or argument was refused (the message on stderr names the file and
what to change); 3 a file loaded with at least half of its rows rejected (the valid rows are in; the
limit is ``CSDASH_LIMIT_FAIL_REJECTED_SHARE``).  Later files still load when an earlier one is
refused.  A doubtful load prints ``WARNING:`` lines on stderr.
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
from loaders import profiles
from loaders.limits import limit
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


def _error(exc: LoadError, lang: str) -> None:
    print(f"错误 error: {exc.render(lang)}", file=sys.stderr)


def cmd_load(args) -> int:
    wh = open_warehouse(args.db)
    if args.mapping and args.profile:
        print(texts.text("cli.mapping_and_profile", args.lang), file=sys.stderr)
        return 2
    try:
        mapping = profiles.load_profile(wh, args.profile) if args.profile else load_mapping(args.mapping)
    except LoadError as exc:
        _error(exc, args.lang)
        return 2
    bar, step = _progress(len(args.files))
    status = 0
    for f in args.files:
        try:
            report = load_file(wh, args.kind, f, mapping=mapping, strict=args.strict, sheet=args.sheet,
                               progress=step, force=args.force)
        except LoadError as exc:
            _error(exc, args.lang)
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
        for line in report.warning_lines(args.lang):
            print(texts.text("cli.warning", args.lang, text=line), file=sys.stderr, flush=True)
        if args.profile and report.status == "loaded":
            profiles.mark_used(wh, args.profile, args.kind)
        if report.status == "loaded" and report.rows_rejected and \
                report.rejected_share >= float(limit("fail_rejected_share")):
            status = max(status, 3)
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
    sql = "SELECT file_name, line_no, reason, raw_row FROM rejects WHERE true"
    params = {}
    if not args.all:   # open rejects: those no later load resolved
        sql += " AND resolved_load_id IS NULL"
    if args.file:
        sql += " AND file_name = :f"
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


def cmd_profiles(args) -> int:
    wh = open_warehouse(args.db)
    try:
        if args.action == "list":
            w = csv.writer(sys.stdout)
            w.writerow(["name", "kind", "updated_by", "updated_at", "last_used_at"])
            for p in profiles.profiles(wh):
                w.writerow([spreadsheet_safe(str(v)) if isinstance(v, str) else v for v in p.values()])
        elif args.action in ("show", "export"):
            sys.stdout.write(profiles.export_toml(wh, args.name))
        elif args.action == "import":
            if not args.file:
                raise LoadError("map.no_file", file="FILE")
            try:
                with open(args.file, encoding="utf-8-sig") as fh:
                    text = fh.read()
            except OSError:
                raise LoadError("map.no_file", file=args.file) from None
            kinds = profiles.import_toml(wh, args.name, text, args.file)
            print(texts.text("profile.saved", args.lang, name=args.name, kinds=", ".join(kinds)))
        elif args.action == "delete":
            n = profiles.delete_profile(wh, args.name)
            if not n:
                profiles.load_profile(wh, args.name)   # raises: names the known profiles
            print(texts.text("profile.deleted", args.lang, name=args.name, n=n))
    except LoadError as exc:
        _error(exc, args.lang)
        return 2
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
    ld.add_argument("--profile", help=say("cli.h.loaders.profile"))
    ld.add_argument("--force", action="store_true", help=say("cli.h.loaders.force"))
    ld.add_argument("--sheet", help=say("cli.h.loaders.sheet"))
    ld.set_defaults(func=cmd_load)
    sub.add_parser("log", help=say("cli.h.loaders.log")).set_defaults(func=cmd_log)
    rj = sub.add_parser("rejects", help=say("cli.h.loaders.rejects"))
    rj.add_argument("--file", help=say("cli.h.loaders.file"))
    rj.add_argument("--all", action="store_true", help=say("cli.h.loaders.all"))
    rj.set_defaults(func=cmd_rejects)
    pf = sub.add_parser("profiles", help=say("cli.h.loaders.profiles"))
    pf.add_argument("action", choices=["list", "show", "import", "export", "delete"])
    pf.add_argument("name", nargs="?", default="", help=say("cli.h.loaders.profile_name"))
    pf.add_argument("file", nargs="?", help=say("cli.h.loaders.profile_file"))
    pf.set_defaults(func=cmd_profiles)
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
