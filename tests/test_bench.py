"""The benchmark harness works (a smoke run at a tiny scale); the real runs are on demand (docs/benchmarks.md)."""
import json
import math
import os
import subprocess
import sys

import pytest

from bench.generate import BAD_EVERY, LEG_EVERY, generate
from bench.measure import Figure, at_most, faster_by, under
from bench.query import same
from bench.report import table, write_markdown
from bench.scales import SCALES
from conftest import ROOT
from metrics import rollups
from metrics.settings import DEFAULTS

TINY = SCALES["tiny"]


def test_smoke_run_at_tiny_scale_prints_one_table_with_every_figure(tmp_path):
    out = tmp_path / "figures.json"
    proc = subprocess.run([sys.executable, "-m", "bench", "all", "--scale", "tiny", "--work", str(tmp_path / "work"),
                           "--json", str(out), "--write", str(tmp_path / "benchmarks.md")],
                          capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          timeout=600)
    # at 3,000 rows fixed costs dominate, so some goals miss (exit 1); a crash is exit ≥ 2 or a traceback
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    rows = json.loads(out.read_text())
    groups = {r["group"] for r in rows}
    assert groups == {"导入 load", "内存 memory", "查询 query", "汇总 rollup", "页面 page", "并发 sessions", "引擎 engines"}
    # 22 figures, and the overview in headless Chromium where Debian's chromium is installed (make test)
    assert len(rows) == 22 + os.path.exists("/usr/bin/chromium")
    # the same warehouse on chDB beside DuckDB: its figures equal DuckDB's before any time counts
    engines = [r for r in rows if r["group"] == "引擎 engines"]
    assert sum("chDB" in r["name"] and r["baseline"].startswith("DuckDB") for r in engines) == 4
    assert any(r["name"].startswith("导入工单重导出") and "chDB" in r["name"] for r in engines)
    assert sum("与 DuckDB 一致" in r["note"] for r in engines) == 2
    # the page figures ran with current roll-ups; 20 managers at once on a real server, then during a
    # load, every session drew its KPI cards and nothing failed
    declared = len(rollups.definitions(DEFAULTS))   # 20: 17 for the KPIs, 3 of loaded days
    assert [r for r in rows if r["group"] == "汇总 rollup"][0]["note"].startswith(f"{declared} 张")
    sessions = [r for r in rows if r["group"] == "并发 sessions"]
    assert len(sessions) == 2 and all("错误 0" in r["note"] for r in sessions), sessions
    for r in rows:
        assert r["ours"] > 0, r
        assert r["base"] is None or r["base"] > 0, r
    # the query figures only count after the builder, hand-written SQL and pandas agreed on every number
    agreed = [r for r in rows if r["group"] == "查询 query" and "个数字一致" in r["note"]]
    assert {r["baseline"] for r in agreed} == {"手写 DuckDB SQL", "pandas groupby（内存中）"}
    assert proc.stdout.splitlines()[0].startswith("类别")
    md = (tmp_path / "benchmarks.md").read_text()
    assert "<!-- bench:tiny -->" in md and "3,000 工单" in md


def test_generator_is_deterministic_and_its_bad_rows_are_rejected(tmp_path):
    a = generate(TINY, tmp_path / "a", log=lambda _s: None)
    b = generate(TINY, tmp_path / "b", log=lambda _s: None)
    for name in ("tickets_utf8.csv", "callbacks.csv", "sales.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    assert (a / "tickets_gbk.csv").read_bytes() == (a / "tickets_utf8.csv").read_text(encoding="utf-8").encode("gb18030")
    from loaders import load_file
    from warehouse import open_warehouse

    wh = open_warehouse(str(tmp_path / "w.duckdb"))
    load_file(wh, "roster", a / "roster.csv")
    report = load_file(wh, "tickets", a / "tickets_utf8.csv")
    legs = sum(1 for i in range(TINY.tickets) if i % LEG_EVERY == 3)
    bad = sum(1 for i in range(TINY.tickets) if i % BAD_EVERY == 17)
    assert report.rows_read == TINY.tickets + legs
    assert report.rows_rejected == bad
    assert report.rows_inserted == TINY.tickets - bad
    wh.dispose()


def test_figure_checks_and_the_agreement_guard():
    assert Figure("g", "n", 3.0, "s", base=2.0, check=at_most(2.0)).ok
    assert not Figure("g", "n", 5.0, "s", base=2.0, check=at_most(2.0)).ok
    assert Figure("g", "n", 1.0, "s", base=10.0, check=faster_by(10.0)).ok
    assert not Figure("g", "n", 1.0, "s", base=9.0, check=faster_by(10.0)).ok
    assert not Figure("g", "n", 2048.0, "MB", check=under(2048.0)).ok
    assert Figure("g", "n", 1.0, "s").ok is None
    assert same({("a", "k"): 0.5, ("b", "k"): math.nan}, {("a", "k"): 0.5}) == []
    assert same({("a", "k"): 0.5}, {("a", "k"): 0.5000001}) != []
    assert same({("a", "k"): 0.5}, {}) != []
    assert "比值" in table([Figure("g", "n", 1.0, "s")])


def test_markdown_results_replace_only_their_own_block(tmp_path):
    page = tmp_path / "b.md"
    page.write_text("# 性能基准\n\n手写的分析\n\n<!-- bench:1m -->\nold\n<!-- /bench:1m -->\n\n结尾\n", encoding="utf-8")
    write_markdown(page, SCALES["1m"], "new\n")
    text = page.read_text(encoding="utf-8")
    assert "old" not in text and "new" in text and "手写的分析" in text and "结尾" in text
    write_markdown(page, SCALES["10m"], "ten\n")
    assert "<!-- bench:10m -->\nten\n<!-- /bench:10m -->" in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["1m", "10m"])
def test_chain_scales_are_the_issue_sizes(name):
    s = SCALES[name]
    assert s.agents >= 80 and s.stores >= 100 and s.months == 12
    assert (s.tickets, s.callbacks, s.sales) == {"1m": (1_000_000, 200_000, 1_000_000),
                                                 "10m": (10_000_000, 2_000_000, 10_000_000)}[name]


def test_profile_lists_the_slow_statements_of_one_load(tmp_path):
    from bench.profile import profile_load

    folder = generate(TINY, tmp_path, log=lambda _s: None)
    text = profile_load(str(folder / "tickets_utf8.csv"), "tickets", str(folder / "roster.csv"))
    assert "tickets_utf8.csv [tickets]" in text and "load_file" in text and "scratch 中超过 0.1 秒的语句" in text
