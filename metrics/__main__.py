"""Command line: ``python -m metrics --db DB report|explain|kpis|staffing|targets|settings|rollups|appraisal``.

    python -m metrics --db data/warehouse.duckdb report --month 2026-10 --by team
    python -m metrics --db data/warehouse.duckdb report --from 2026-08 --to 2026-10 --kpi answer_rate --format json
    python -m metrics --db data/warehouse.duckdb explain --kpi answer_rate --month 2026-10 --by region
    python -m metrics kpis
    python -m metrics --db data/warehouse.duckdb appraisal --month 2026-10 --division presales --format csv

``report`` prints long rows ``month, <each --by dimension>, kpi, value, numerator, denominator``:
rates as fractions, seconds as seconds, money in yuan, ``value`` empty when undefined.  Without
``--by``, the month totals; ``--total`` sums the months into one row per group (month shows the
range).  Exit codes: 0 done; 2 a bad argument (unknown KPI, dimension, malformed month), with the
valid choices on stderr.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import subprocess
import sys
import time
import unicodedata

from metrics import rollups
from metrics.attribution import COLUMNS, explain
from metrics.months import month_arg, month_key, month_range, parse_month
from metrics.query import compute
from metrics.registry import KEYS, METRICS
from metrics.scope import Filters, Scope
from metrics.errors import MetricError
from metrics.settings import SETTINGS, check_settings, load_settings, save_settings
from metrics.sources import DIMENSIONS
from metrics.staffing import interval_requirements
from metrics.targets import DEFAULT_TARGETS, import_targets_excel, load_targets, targets_frame, write_targets_template
import texts
from texts import Message
from warehouse.db import actor, cli_texts, command_parser, run_command
from warehouse.safety import spreadsheet_safe

FILTER_OPTIONS = ("region", "store", "team", "division", "channel")


def _number(x) -> str | float | int:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    x = float(x)
    return int(x) if x.is_integer() else round(x, 6)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(header: list[str], rows: list[list]) -> str:
    cells = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(header))]
    return "\n".join("  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths)).rstrip() for r in cells)


def _emit(header: list[str], rows: list[list], fmt: str) -> None:
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([spreadsheet_safe(h) for h in header])
        writer.writerows([spreadsheet_safe(c) for c in r] for r in rows)
    elif fmt == "json":
        print(json.dumps([{h: (None if v == "" else v) for h, v in zip(header, r)} for r in rows],
                         ensure_ascii=False, indent=1))
    else:
        print(_table(header, rows))


def cmd_report(args, wh) -> int:
    months = args.month or list(month_range(args.date_from, args.date_to))
    dims = list(dict.fromkeys(d for d in (args.by or []) if d != "month"))
    filters = Filters.of(**{k: getattr(args, k) for k in FILTER_OPTIONS if getattr(args, k)})
    df = compute(wh, args.kpi, months=months, dims=dims if args.total else ["month", *dims],
                 filters=filters, scope=Scope.all())
    if args.total:
        keys = sorted(month_key(parse_month(m)) for m in months)
        df.insert(0, "month", keys[0] if len(keys) == 1 else f"{keys[0]}~{keys[-1]}")
    header = ["month", *dims, "kpi", "value", "numerator", "denominator"]
    rows = [[("" if isinstance(v, float) and math.isnan(v) else v) for v in r[:len(dims) + 2]]
            + [_number(r[-3]), _number(r[-2]), _number(r[-1])]
            for r in df[header].itertuples(index=False)]
    _emit(header, rows, args.format)
    late = sorted(set(df.loc[df["pending"].astype(bool), "month"]))
    if late:
        print(texts.text("cli.pending", args.lang, months=", ".join(late)), file=sys.stderr)
    return 0


def cmd_explain(args, wh) -> int:
    """One row per group and a TOTAL row; rates as fractions (0.031 = 3.1 pp), n = the denominators."""
    filters = Filters.of(**{k: getattr(args, k) for k in FILTER_OPTIONS if getattr(args, k)})
    df = explain(wh, args.kpi, month=args.month, against=args.against, by=args.by, scope=Scope.all(), filters=filters)
    rows = [["" if g is None else g, *(_number(v) for v in r)]
            for g, *r in df[COLUMNS].itertuples(index=False)]
    _emit(COLUMNS, rows, args.format)
    return 0


def cmd_kpis(args, wh) -> int:
    header = ["kpi", "label", "label_en", "unit", "direction", "source", "formula"]
    rows = [[m.key, m.label, m.label_in("en"), m.unit.value, m.direction.value, m.source, m.formula] for m in METRICS]
    _emit(header, rows, args.format)
    return 0


def passport_markdown() -> str:
    """docs/metrics.md: every KPI's passport and every setting (a test keeps the file in sync)."""

    arrow = {"up": "↑", "down": "↓", "none": "—"}
    out = ["# 指标护照 Metric passport", "",
           "Generated by `python -m metrics passport > docs/metrics.md` from `metrics/registry.py`; "
           "a test fails when this file is out of date.", "",
           "| id | 中文 | English | unit | dir | source | formula | 默认目标 |", "|---|---|---|---|---|---|---|---|"]
    for m in METRICS:
        target = DEFAULT_TARGETS.get(m.key)
        out.append(f"| `{m.key}` | {m.label} | {m.label_in('en')} | {m.unit.value} | {arrow[m.direction.value]} | "
                   f"{m.source} | {m.formula} | {'' if target is None else f'{target:.0%}'} |")
    out += ["", "## 口径 What each figure includes", ""]
    for m in METRICS:
        extra = f" 依赖设置：{', '.join(f'`{s}`' for s in m.settings)}。" if m.settings else ""
        out.append(f"- **{m.label}** `{m.key}` — {m.description}{extra}")
    out += ["", "## 设置 Settings", "", "| key | 中文 | default | 说明 |", "|---|---|---|---|"]
    for s in SETTINGS.values():
        out.append(f"| `{s.key}` | {s.label} | `{json.dumps(s.default, ensure_ascii=False)}` | {s.help} |")
    return "\n".join(out) + "\n"


def cmd_passport(args, wh) -> int:
    sys.stdout.write(passport_markdown())
    return 0


def cmd_staffing(args, wh) -> int:
    df = interval_requirements(wh, args.month, scope=Scope.all())
    header = list(df.columns)
    _emit(header, [[_number(v) if not isinstance(v, str) else v for v in r] for r in df.itertuples(index=False)],
          args.format)
    return 0


def cmd_targets(args, wh) -> int:
    if args.action == "import":
        n = import_targets_excel(wh, args.file, user=actor())
        print(texts.text("set.imported", args.lang, n=n))
    elif args.action == "template":
        write_targets_template(args.file, [t for t in load_targets(wh)])
        print(texts.text("cli.written", args.lang, path=args.file))
    else:
        frame = targets_frame(load_targets(wh))
        _emit(list(frame.columns), frame.values.tolist(), args.format)
    return 0


def _setting_value(text: str):
    """A value as typed on the command line: JSON when it parses (5, 0.8, true, {"*": 24}), else text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def cmd_settings(args, wh) -> int:
    """``settings show``: every setting, its value and default; ``settings set KEY=VALUE…``: checked exactly
    as the settings page checks (one message listing every problem, exit 2), then saved together."""
    if args.action == "show":
        current = load_settings(wh)
        rows = [[key, json.dumps(current.value(key) if key != "sla_hours" else dict(current.sla_hours),
                                 ensure_ascii=False), json.dumps(spec.default, ensure_ascii=False),
                 spec.label_in(args.lang)] for key, spec in SETTINGS.items()]
        _emit(["key", "value", "default", "label"], rows, args.format)
        return 0
    changes, problems = {}, []
    for pair in args.pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            problems.append(Message("setting.pair", pair=pair))
            continue
        changes[key.strip()] = _setting_value(value.strip())
    if not args.pairs:
        problems.append(Message("setting.pair", pair=""))
    problems += check_settings(changes)
    if problems:
        raise MetricError("setting.not_saved", problems=problems)
    save_settings(wh, changes, actor())
    print(texts.text("setting.saved_cli", args.lang, keys=", ".join(changes)))
    _rebuild(wh, args.lang, only_stale=True)   # a changed definition: its roll-ups follow now
    return 0


def _rebuild(wh, lang: str, *, only_stale: bool) -> None:
    started = time.monotonic()
    last = [-1]

    def progress(fraction: float, name: str) -> None:
        pct = int(fraction * 100)
        if pct // 10 != last[0]:
            last[0] = pct // 10
            print(texts.text("rollups.progress", lang, name=name, pct=f"{pct}%"), file=sys.stderr, flush=True)

    built = rollups.build(wh, progress=progress, only_stale=only_stale)
    print(texts.text("rollups.built", lang, n=len(built), seconds=f"{time.monotonic() - started:.1f}")
          if built else texts.text("rollups.current", lang))


def cmd_rollups(args, wh) -> int:
    """``rollups status``: each roll-up, current or stale and why, months, rows; ``rollups build``: rebuild
    the stale ones (``--all``: every one) in one transaction."""
    if args.action == "build":
        _rebuild(wh, args.lang, only_stale=not args.all)
        return 0
    rows = [[r["rollup"], r["grain"], texts.text(f"rollups.state.{r['state']}", args.lang),
             texts.text(f"rollups.why.{r['why']}", args.lang) if r["why"] else "",
             month_key(r["first_month"]) if r["first_month"] else "", month_key(r["last_month"]) if r["last_month"] else "",
             r["rows"]] for r in rollups.status(wh)]
    _emit(["rollup", "grain", "state", "why", "first_month", "last_month", "rows"], rows, args.format)
    return 0


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    say = cli_texts(argv)   # help in the language the command line asks for
    p, sub = command_parser("python -m metrics", say("cli.h.metrics.about"), argv)

    r = sub.add_parser("report", help=say("cli.h.metrics.report"))
    when = r.add_mutually_exclusive_group(required=True)
    when.add_argument("--month", action="append", type=month_arg, metavar="YYYY-MM", help=say("cli.h.metrics.month"))
    when.add_argument("--from", dest="date_from", type=month_arg, metavar="YYYY-MM", help=say("cli.h.metrics.from"))
    r.add_argument("--to", dest="date_to", type=month_arg, metavar="YYYY-MM", help=say("cli.h.metrics.to"))
    r.add_argument("--by", action="append", choices=list(DIMENSIONS), metavar="DIM",
                   help=say("cli.h.by", dims=", ".join(DIMENSIONS)))
    r.add_argument("--kpi", action="append", choices=list(KEYS), metavar="ID", help=say("cli.h.metrics.kpi"))
    for f in FILTER_OPTIONS:
        r.add_argument(f"--{f}", action="append", metavar=f.upper(), help=say("cli.h.only", dim=say(f"dim.{f}")))
    r.add_argument("--total", action="store_true", help=say("cli.h.metrics.total"))
    r.add_argument("--format", choices=("csv", "json", "table"), default="table")
    r.set_defaults(func=cmd_report)

    e = sub.add_parser("explain", help=say("cli.h.metrics.explain"))
    e.add_argument("--kpi", required=True, choices=list(KEYS), metavar="ID", help=say("cli.h.metrics.explain_kpi"))
    e.add_argument("--month", required=True, type=month_arg, metavar="YYYY-MM", help=say("cli.h.metrics.explain_month"))
    e.add_argument("--against", type=month_arg, metavar="YYYY-MM", help=say("cli.h.metrics.against"))
    e.add_argument("--by", required=True, choices=[d for d in DIMENSIONS if d != "month"], metavar="DIM",
                   help=say("cli.h.metrics.explain_by", dims=", ".join(d for d in DIMENSIONS if d != "month")))
    for f in FILTER_OPTIONS:
        e.add_argument(f"--{f}", action="append", metavar=f.upper(), help=say("cli.h.only", dim=say(f"dim.{f}")))
    e.add_argument("--format", choices=("csv", "json", "table"), default="table")
    e.set_defaults(func=cmd_explain)

    k = sub.add_parser("kpis", help=say("cli.h.metrics.kpis"))
    k.add_argument("--format", choices=("csv", "json", "table"), default="table")
    k.set_defaults(func=cmd_kpis, no_db=True)

    pp = sub.add_parser("passport", help=say("cli.h.metrics.passport"))
    pp.set_defaults(func=cmd_passport, no_db=True)

    s = sub.add_parser("staffing", help=say("cli.h.metrics.staffing"))
    s.add_argument("--month", required=True, type=month_arg, metavar="YYYY-MM")
    s.add_argument("--format", choices=("csv", "json", "table"), default="table")
    s.set_defaults(func=cmd_staffing)

    t = sub.add_parser("targets", help=say("cli.h.metrics.targets"))
    t.add_argument("action", choices=("list", "import", "template"))
    t.add_argument("file", nargs="?", help=say("cli.h.metrics.file"))
    t.add_argument("--format", choices=("csv", "json", "table"), default="table")
    t.set_defaults(func=cmd_targets)

    st = sub.add_parser("settings", help=say("cli.h.metrics.settings"))
    st.add_argument("action", choices=("show", "set"))
    st.add_argument("pairs", nargs="*", metavar="KEY=VALUE")
    st.add_argument("--format", choices=("csv", "json", "table"), default="table")
    st.set_defaults(func=cmd_settings)

    ru = sub.add_parser("rollups", help=say("cli.h.metrics.rollups"))
    ru.add_argument("action", choices=("status", "build"))
    ru.add_argument("--all", action="store_true", help=say("cli.h.metrics.rollups_all"))
    ru.add_argument("--format", choices=("csv", "json", "table"), default="table")
    ru.set_defaults(func=cmd_rollups)

    return p


def _handed_over(argv: list[str]) -> list[str] | None:
    """``… appraisal ARGS`` (the command's old home) → the arguments of ``python -m appraisal … month ARGS``."""
    top = argparse.ArgumentParser(add_help=False)
    top.add_argument("--db")
    top.add_argument("--lang")
    known, rest = top.parse_known_args(argv)
    if not rest or rest[0] != "appraisal":
        return None
    head = [a for k in ("db", "lang") if getattr(known, k) for a in (f"--{k}", getattr(known, k))]
    return [*head, "month", *rest[1:]]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    handed = _handed_over(argv)
    if handed is not None:   # an alias: the appraisal has its own command line (a higher layer than this one)
        print("提示 note: python -m metrics appraisal 现为 python -m appraisal month 的别名", file=sys.stderr, flush=True)
        return subprocess.run([sys.executable, "-m", "appraisal", *handed]).returncode
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if args.command == "report" and args.date_from and not args.date_to:
        parser.error(texts.text("cli.from_needs_to", args.lang))
    if args.command == "report" and args.date_to and not args.date_from:
        parser.error(texts.text("cli.to_needs_from", args.lang))
    if args.command == "targets" and args.action != "list" and not args.file:
        parser.error(texts.text("cli.targets_file", args.lang, action=args.action))
    return run(args)


def run(args) -> int:
    """Run the command (``warehouse.db.run_command``).  Shared by ``python -m metrics`` and ``python -m reports``."""
    return run_command(args)


if __name__ == "__main__":
    sys.exit(main())
