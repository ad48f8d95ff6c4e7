"""The same warehouse on the other engines (issue 21): chDB (ClickHouse in process), and PostgreSQL
when ``--pg URL`` names an empty database.

The scale's DuckDB warehouse is copied to each (``python -m warehouse copy``'s code), the roll-ups are
built there by the same definitions, and then, beside DuckDB in the same run:

- the overview's KPI set for the month by team, from the facts (``use_rollups=False``) and from the
  roll-ups: best of three warm runs, each engine's figures first required equal to DuckDB's;
- the overview page in ``AppTest``: first open, then region/store/team changes (p95);
- a re-exported tickets file (the tenth scale's: its keys overlap) loaded into each, beside the same
  load into a copy of the DuckDB warehouse.

The ratio to DuckDB is what carries to another machine: chDB is ClickHouse's engine in this process,
with no network and one machine's cores, so it measures the SQL, not a cluster.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from bench.measure import Figure, best_of
from bench.query import as_dict, same
from bench.sessions import _clear_caches, filter_changes, first_open, p95


def _overview(db: str, month: str, use_rollups: bool) -> tuple[float, dict]:
    from metrics import Scope, compute
    from metrics.subjects import OVERVIEW_KPIS
    from warehouse import open_warehouse

    wh = open_warehouse(db, create=False)
    try:
        run = lambda: compute(wh, OVERVIEW_KPIS, months=[month], dims=("team",), scope=Scope.all(),  # noqa: E731
                              use_rollups=use_rollups)
        run()   # warm
        seconds, df = best_of(run)
    finally:
        wh.dispose()
    return seconds, as_dict(df)


def overview_page(db: str, month: str, changes: int = 6) -> tuple[float, float]:
    """(first open, p95 of ``changes`` filter changes) of the overview on ``db``, caches empty."""
    from ui import data

    at, first = first_open(db, month, f"总览（{db}）")
    times = filter_changes(at, (2, 2, 2), changes, f"总览（{db}）")
    data._warehouse(db).dispose()   # chDB's folder free again
    _clear_caches()
    return first, p95(times)


def _copy(db: str, target: str, log) -> tuple[float, float, int]:
    """(copy seconds, roll-up build seconds, rows copied) of ``db`` into the empty ``target``."""
    from metrics import rollups
    from warehouse import open_warehouse
    from warehouse.copy import copy_warehouse

    source, dest = open_warehouse(db, create=False), open_warehouse(target)
    try:
        t0 = time.perf_counter()
        copied = copy_warehouse(source, dest)
        copy_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        rollups.build(dest)
        build_s = time.perf_counter() - t0
    finally:
        source.dispose()
        dest.dispose()
    log(f"  复制 {sum(copied.values()):,} 行 {copy_s:.1f} 秒，汇总表 {build_s:.1f} 秒")
    return copy_s, build_s, sum(copied.values())


def load_seconds(db: str, path: str) -> tuple[float, int]:
    """(seconds, rows written) of loading a tickets file into ``db`` through the loader (a re-export:
    its keys overlap the warehouse's, so rows are replaced and the roll-ups refreshed)."""
    from loaders import load_file
    from warehouse import open_warehouse

    wh = open_warehouse(db)
    try:
        t0 = time.perf_counter()
        report = load_file(wh, "tickets", path, force=True, user="bench")
        return time.perf_counter() - t0, report.rows_inserted + report.rows_replaced
    finally:
        wh.dispose()


def engine_figures(db: str, month: str, rows: int, work: Path, pg_url: str | None = None,
                   load_file_path: str | None = None, log=print) -> list[Figure]:
    folder = work / "chdb"
    shutil.rmtree(folder, ignore_errors=True)
    targets = [("chDB", f"chdb://{folder}")] + ([("PostgreSQL", pg_url)] if pg_url else [])
    log("  DuckDB：总览查询与页面")
    duck = {"facts": _overview(db, month, False), "rollups": _overview(db, month, True)}
    duck_page = overview_page(db, month)
    duck_load = None
    if load_file_path:   # into a copy: the bench's own warehouse stays as loaded
        copy = work / "engines-load.duckdb"
        shutil.copyfile(db, copy)
        duck_load = load_seconds(str(copy), load_file_path)
        copy.unlink()
    figures: list[Figure] = []
    for name, url in targets:
        log(f"  {name}：复制仓库、建汇总表")
        copy_s, build_s, copied = _copy(db, url, log)
        figures.append(Figure("引擎 engines", f"复制 DuckDB → {name}（{copied:,} 行）并重建汇总表", copy_s + build_s, "s",
                              note=f"复制 {copy_s:.1f} 秒，汇总表 {build_s:.1f} 秒"))
        for source, label in (("facts", "明细"), ("rollups", "汇总表")):
            seconds, values = _overview(url, month, source == "rollups")
            diffs = same(duck[source][1], values)
            if diffs:
                raise RuntimeError(f"{name} 与 DuckDB 的结果不同：\n" + "\n".join(diffs[:20]))
            figures.append(Figure("引擎 engines", f"总览 KPI 按班组，{name}，来自{label}（{rows:,} 行）", seconds, "s",
                                  f"DuckDB，来自{label}", duck[source][0], note=f"{len(values)} 个数字与 DuckDB 一致"))
        log(f"  {name}：总览页面")
        first, changed = overview_page(url, month)
        figures.append(Figure("引擎 engines", f"总览页面首次打开，{name}", first, "s", "DuckDB 首次打开", duck_page[0]))
        figures.append(Figure("引擎 engines", f"总览切换区域/门店/班组筛选后重跑 p95，{name}", changed, "s",
                              "DuckDB 同样的切换", duck_page[1]))
        if duck_load:
            log(f"  {name}：导入一个重导出的工单文件")
            seconds, written = load_seconds(url, load_file_path)
            figures.append(Figure("引擎 engines", f"导入工单重导出 {written:,} 行到 {name} 仓库（替换已有行，汇总表随之刷新）",
                                  seconds, "s", "同一文件导入 DuckDB 仓库的副本", duck_load[0]))
    shutil.rmtree(folder, ignore_errors=True)
    return figures
