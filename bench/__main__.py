"""``python -m bench all --scale 1m|10m`` — generate the chain's exports, measure, print one table.

    python -m bench generate --scale 10m          # only write the exports
    python -m bench all --scale 1m --write docs/benchmarks.md
    python -m bench all --scale tiny              # the smoke run make test does
    python -m bench profile tickets.csv --roster roster.csv   # where one load spends its time

Scale parameters can be changed: ``--months --stores --agents --tickets --callbacks --sales``.
Generated files and warehouses live under ``--work`` (default ``bench/.work``, not committed);
the exports are reused when their parameters match, the warehouses are rebuilt on every run.
Exit status: 0 when every goal is met, 1 when one is missed (the table says which).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from bench.generate import generate
from bench.measure import ROOT, machine
from bench.report import markdown, table, write_markdown
from bench.scales import SCALES, Scale

DEFAULT_WORK = ROOT / "bench" / ".work"


def _scale(args) -> Scale:
    scale = SCALES[args.scale]
    changes = {k: getattr(args, k) for k in ("months", "stores", "agents", "tickets", "callbacks", "sales")
               if getattr(args, k) is not None}
    return replace(scale, **changes) if changes else scale


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def cmd_generate(args) -> int:
    folder = generate(_scale(args), args.work, log=_log)
    print(folder)
    return 0


def cmd_all(args) -> int:
    from bench.load import build_warehouse, load_figures, warehouse_path
    from bench.sessions import chromium_page, concurrency, ensure_rollups, page_goals
    from bench.query import query_figures

    scale = _scale(args)
    started = time.perf_counter()
    _log(f"生成 {scale.name} 规模的导出文件…")
    folder = generate(scale, args.work, log=_log)
    figures = []
    db = str(warehouse_path(args.work, scale))
    if args.skip_load and Path(db).exists():
        _log(f"沿用已有的仓库 {db}（不测导入）")
    else:
        _log("导入…")
        figures += load_figures(scale, folder, args.work, log=_log)
    small = scale.tenth()
    _log("十分之一规模的仓库（增长比）…")
    small_folder = generate(small, args.work, log=_log)
    small_db = warehouse_path(args.work, small)
    build_warehouse(small_folder, small_db)
    figures += query_figures(db, str(small_db), scale.end_month, scale.tickets, small.tickets, log=_log)
    _log("汇总表…")
    figures.append(ensure_rollups(db, log=_log))
    if not args.skip_page:
        _log("页面（汇总表）…")
        figures += page_goals(db, scale.end_month, scale.tickets, log=_log)
        figures += chromium_page(db, scale.end_month, scale.tickets, args.work / "chromium", log=_log)
        _log("并发会话…")
        figures += concurrency(db, scale.end_month, scale.tickets, args.work / "sessions",
                               load_file_path=str(small_folder / "tickets_utf8.csv"), log=_log)
    if not args.skip_engines:
        from bench.engines import engine_figures

        _log("其他引擎（chDB" + ("、PostgreSQL" if args.pg else "") + "）…")
        figures += engine_figures(db, scale.end_month, scale.tickets, args.work, pg_url=args.pg,
                                  load_file_path=str(small_folder / "tickets_utf8.csv"), log=_log)
    seconds = time.perf_counter() - started
    print(table(figures))
    if args.write:
        write_markdown(Path(args.write), scale, markdown(scale, figures, machine(), seconds))
        _log(f"已写入 {args.write}")
    if args.json:
        Path(args.json).write_text(json.dumps([f.row() for f in figures], ensure_ascii=False, indent=1))
    return 0 if all(f.ok is not False for f in figures) else 1


# ------------------------------------------------------------------ child processes (one measurement each)
def cmd_child(args) -> int:
    from bench import load

    if args.command == "_load-ours":
        out = load.child_ours(args.db, args.kind, args.file, args.roster)
    elif args.command == "_load-raw":
        out = load.child_raw(args.db, args.table, args.file)
    else:
        out = load.child_pandas(args.db, args.file)
    print(json.dumps(out))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="连锁规模的性能基准")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("all", "生成、导入、查询、页面：打印一张表"), ("generate", "只生成导出文件")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--scale", choices=list(SCALES), default="1m")
        p.add_argument("--work", type=Path, default=DEFAULT_WORK, help="生成文件与仓库的目录")
        for k in ("months", "stores", "agents", "tickets", "callbacks", "sales"):
            p.add_argument(f"--{k}", type=int)
        if name == "all":
            p.add_argument("--write", metavar="MD", help="把结果写进这个 Markdown 文件（如 docs/benchmarks.md）")
            p.add_argument("--json", metavar="FILE", help="结果另存为 JSON")
            p.add_argument("--skip-page", action="store_true", help="不测页面（AppTest）")
            p.add_argument("--skip-load", action="store_true", help="沿用上次导入的仓库，只测查询与页面")
            p.add_argument("--skip-engines", action="store_true", help="不测其他引擎（chDB、PostgreSQL）")
            p.add_argument("--pg", metavar="URL", help="也在这个空的 PostgreSQL 数据库上测（复制过去）")
    p = sub.add_parser("sessions", help="任一仓库（如 PostgreSQL）上的页面与并发会话：先建汇总表")
    p.add_argument("--db", required=True, help="DuckDB 文件或 SQLAlchemy URL")
    p.add_argument("--month", required=True, metavar="YYYY-MM")
    p.add_argument("--label", help="默认按仓库地址：PostgreSQL 或 DuckDB")
    p.add_argument("--load", metavar="CSV", help="并发会话期间导入的工单文件")
    p.add_argument("--work", type=Path, default=DEFAULT_WORK)
    p = sub.add_parser("profile", help="一次导入的耗时分布（pyinstrument 与每条 SQL）")
    p.add_argument("file"), p.add_argument("--kind", default="tickets"), p.add_argument("--roster")
    p = sub.add_parser("_load-ours")
    p.add_argument("db"), p.add_argument("kind"), p.add_argument("file"), p.add_argument("--roster")
    p = sub.add_parser("_load-raw")
    p.add_argument("db"), p.add_argument("table"), p.add_argument("file")
    p = sub.add_parser("_load-pandas")
    p.add_argument("db"), p.add_argument("file")
    args = parser.parse_args(argv)
    if args.command.startswith("_"):
        return cmd_child(args)
    if args.command == "profile":
        from bench.profile import profile_load

        print(profile_load(args.file, args.kind, args.roster))
        return 0
    return {"all": cmd_all, "generate": cmd_generate, "sessions": cmd_sessions}[args.command](args)


def cmd_sessions(args) -> int:
    """The roll-ups, page and concurrency figures on a warehouse already loaded (PostgreSQL, say)."""
    import sqlalchemy as sa

    from bench.sessions import concurrency, ensure_rollups, page_goals
    from warehouse import open_warehouse

    wh = open_warehouse(args.db)
    with wh.connect() as conn:
        rows = int(conn.execute(sa.text("SELECT count(*) FROM tickets")).scalar())
    wh.dispose()
    figures = [ensure_rollups(args.db, log=_log), *page_goals(args.db, args.month, rows, log=_log),
               *concurrency(args.db, args.month, rows, args.work / "sessions", load_file_path=args.load,
                            label=args.label or ("PostgreSQL" if args.db.startswith("postgres") else "DuckDB"), log=_log)]
    print(table(figures))
    return 0 if all(f.ok is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
