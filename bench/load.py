"""Load figures: our loader beside what a user would otherwise run, each in a fresh process.

- raw DuckDB: ``CREATE TABLE … AS SELECT * FROM read_csv(…)`` on the same file (no validation,
  no vocabularies, no upsert, no rejects: the floor);
- naive pandas: ``read_csv`` + ``DataFrame.to_sql`` through SQLAlchemy into a DuckDB file.  It runs
  on the first ``pandas_rows`` lines only (at 10 M rows it would take hours), and ours loads that
  same slice for the ratio;
- GBK: our loader on the GB18030 copy of the tickets file beside the UTF-8 original;
- Excel: our loader on ``xlsx_rows`` tickets in an ``.xlsx`` (an absolute goal).

Each child process reports its wall time and its own peak RSS, so the UTF-8 tickets load also
gives the memory figure (the 10 M file is 2 GB).
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from bench.measure import Figure, at_most, faster_by, peak_rss_mb, run_child, under
from bench.scales import Scale

# ------------------------------------------------------------------ the child processes
def child_ours(db: str, kind: str, file: str, roster: str | None) -> dict:
    from loaders.pipeline import load_file
    from warehouse import open_warehouse

    wh = open_warehouse(db)
    if roster:
        load_file(wh, "roster", roster, user="bench")
    t0 = time.perf_counter()
    report = load_file(wh, kind, file, user="bench")
    seconds = time.perf_counter() - t0
    wh.dispose()
    return {"seconds": seconds, "rss_mb": peak_rss_mb(), "rows_read": report.rows_read,
            "rows_inserted": report.rows_inserted, "rows_rejected": report.rows_rejected,
            "encoding": report.encoding}


def child_raw(db: str, table: str, file: str) -> dict:
    import duckdb

    con = duckdb.connect(db)
    t0 = time.perf_counter()
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_csv(?)", [file])
    seconds = time.perf_counter() - t0
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    con.close()
    return {"seconds": seconds, "rss_mb": peak_rss_mb(), "rows": rows}


def child_pandas(db: str, file: str) -> dict:
    import pandas as pd
    import sqlalchemy as sa

    engine = sa.create_engine(f"duckdb:///{db}")
    t0 = time.perf_counter()
    df = pd.read_csv(file)
    df.to_sql("tickets_raw", engine, index=False, if_exists="replace")
    seconds = time.perf_counter() - t0
    engine.dispose()
    return {"seconds": seconds, "rss_mb": peak_rss_mb(), "rows": len(df)}


# ------------------------------------------------------------------ the figures
def warehouse_path(work: Path, scale: Scale) -> Path:
    return work / "warehouses" / scale.key() / "warehouse.duckdb"


def build_warehouse(folder: Path, db: Path) -> None:
    """A warehouse of the generated files, loaded by our loader (untimed: the growth figure's smaller end)."""
    if db.exists():
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    partial = db.with_suffix(".partial.duckdb")
    partial.unlink(missing_ok=True)
    for kind, name in (("tickets", "tickets_utf8.csv"), ("callbacks", "callbacks.csv"), ("sales", "sales.csv")):
        run_child("_load-ours", str(partial), kind, str(folder / name),
                  *(["--roster", str(folder / "roster.csv")] if kind == "tickets" else []))
    partial.rename(db)


def load_figures(scale: Scale, folder: Path, work: Path, log=print) -> list[Figure]:
    """Every load figure; leaves the scale's query warehouse at ``warehouse_path(work, scale)``."""
    run_dir = work / "warehouses" / scale.key()
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    roster = str(folder / "roster.csv")
    db = str(warehouse_path(work, scale))

    def ours(target: str, kind: str, file: str, with_roster: bool = True) -> dict:
        log(f"  我们的导入 {kind}: {Path(file).name}")
        return run_child("_load-ours", target, kind, file, *(["--roster", roster] if with_roster else []))

    def raw(table: str, file: str) -> dict:
        log(f"  DuckDB read_csv: {Path(file).name}")
        return run_child("_load-raw", str(run_dir / "raw.duckdb"), table, file)

    tickets = str(folder / "tickets_utf8.csv")
    size_mb = Path(tickets).stat().st_size / 1e6
    raw_t = raw("tickets", tickets)
    ours_t = ours(db, "tickets", tickets)
    gbk = ours(str(run_dir / "gbk.duckdb"), "tickets", str(folder / "tickets_gbk.csv"))
    log(f"  pandas read_csv + to_sql: {scale.pandas_rows:,} 行")
    naive = run_child("_load-pandas", str(run_dir / "pandas.duckdb"), str(folder / "tickets_slice.csv"))
    ours_slice = ours(str(run_dir / "slice.duckdb"), "tickets", str(folder / "tickets_slice.csv"))
    xlsx = ours(str(run_dir / "xlsx.duckdb"), "tickets", str(folder / "tickets.xlsx"))
    others = {}
    for kind in ("callbacks", "sales"):
        others[kind] = (ours(db, kind, str(folder / f"{kind}.csv"), with_roster=False),
                        raw(kind, str(folder / f"{kind}.csv")))
    (run_dir / "gbk.duckdb").unlink(missing_ok=True)

    n = f"{scale.tickets:,}"
    figures = [
        Figure("导入 load", f"工单 CSV {n} 行（UTF-8，{size_mb:,.0f} MB）", ours_t["seconds"], "s",
               "DuckDB CREATE TABLE AS read_csv", raw_t["seconds"], "≤ 2×", at_most(2.0),
               note=f"拒收 {ours_t['rows_rejected']:,} 行"),
        Figure("导入 load", f"工单 CSV 前 {scale.pandas_rows:,} 行", ours_slice["seconds"], "s",
               "pandas read_csv + to_sql", naive["seconds"], "快 ≥ 10×", faster_by(10.0)),
        Figure("导入 load", f"工单 CSV {n} 行 GBK", gbk["seconds"], "s", "同一文件 UTF-8（我们）",
               ours_t["seconds"], "≤ 1.5×", at_most(1.5)),
        Figure("导入 load", f"工单 .xlsx {scale.xlsx_rows:,} 行", xlsx["seconds"], "s", goal="< 30 s",
               check=under(30.0)),
    ]
    for kind, label in (("callbacks", "回访"), ("sales", "订单")):
        o, r = others[kind]
        rows = scale.callbacks if kind == "callbacks" else scale.sales
        figures.append(Figure("导入 load", f"{label} CSV {rows:,} 行", o["seconds"], "s",
                              "DuckDB CREATE TABLE AS read_csv", r["seconds"], note="参考（无目标）"))
    figures.append(Figure("内存 memory", f"导入 {size_mb:,.0f} MB 工单 CSV 的峰值 RSS", ours_t["rss_mb"], "MB",
                          "DuckDB read_csv 的峰值 RSS", raw_t["rss_mb"], "< 2048 MB", under(2048.0)))
    return figures
