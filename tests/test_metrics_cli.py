"""``python -m metrics`` as a user runs it, as subprocesses, on DuckDB and PostgreSQL."""
import csv
import io
import json
import os
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT
from metrics.registry import KEYS


def cli(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "metrics", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=300)


@pytest.fixture
def loaded(db):
    from loaders import load_file
    from warehouse import open_warehouse

    wh = open_warehouse(db)
    for kind in ("roster", "tickets", "callbacks", "sales"):
        load_file(wh, kind, FIXTURES / "metrics" / f"{kind}.csv")
    wh.dispose()
    return db


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_report_by_team_csv(loaded):
    res = cli("--db", loaded, "report", "--month", "2026-10", "--by", "team", "--kpi", "answer_rate",
              "--kpi", "revenue", "--format", "csv")
    assert res.returncode == 0, res.stderr
    got = rows(res.stdout)
    assert list(got[0]) == ["month", "team", "kpi", "value", "numerator", "denominator"]
    by = {(r["team"], r["kpi"]): r for r in got}
    # see test_metrics: 售后一组 4 / 6; the pre-sales team has no phone calls → value empty, denominator 0
    assert by[("售后一组", "answer_rate")] | {} == {"month": "2026-10", "team": "售后一组", "kpi": "answer_rate",
                                                  "value": "0.666667", "numerator": "4", "denominator": "6"}
    assert by[("售前一组", "answer_rate")]["value"] == "" and by[("售前一组", "answer_rate")]["denominator"] == "0"
    # revenue by team: P1's orders S01 100 + S02 200 + S05 300 = 600; no denominator
    assert by[("售前一组", "revenue")]["value"] == "600" and by[("售前一组", "revenue")]["denominator"] == ""


def test_month_totals_without_by_and_json(loaded):
    res = cli("--db", loaded, "report", "--from", "2026-09", "--to", "2026-10", "--kpi", "contacts",
              "--format", "json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == [
        {"month": "2026-09", "kpi": "contacts", "value": 4, "numerator": 4, "denominator": None},
        {"month": "2026-10", "kpi": "contacts", "value": 21, "numerator": 21, "denominator": None},
    ]


def test_total_and_filters(loaded):
    res = cli("--db", loaded, "report", "--from", "2026-09", "--to", "2026-10", "--total", "--kpi", "revenue",
              "--region", "华东", "--format", "csv")
    assert res.returncode == 0, res.stderr
    # 华东: September S10 90 + S12 15, October 640
    assert rows(res.stdout) == [{"month": "2026-09~2026-10", "kpi": "revenue", "value": "745", "numerator": "745",
                                 "denominator": ""}]


def test_table_format_and_pending_note(loaded):
    res = cli("--db", loaded, "report", "--month", "2026-11", "--kpi", "contacts", "--by", "agent")
    assert res.returncode == 0 and res.stdout.splitlines()[0].split() == ["month", "agent", "kpi", "value",
                                                                          "numerator", "denominator"]
    assert "A1" in res.stdout


@pytest.mark.parametrize("args, words", [
    (["--kpi", "answer_ratio"], ["invalid choice", "answer_within_3_rings_rate"]),
    (["--by", "weekday"], ["invalid choice", "member_level"]),
])
def test_bad_choices_exit_2_with_the_list(loaded, args, words):
    res = cli("--db", loaded, "report", "--month", "2026-10", *args)
    assert res.returncode == 2
    for w in words:
        assert w in res.stderr


@pytest.mark.parametrize("month", ["2026-13", "26-10", "October"])
def test_malformed_month_exits_2(tmp_path, month):
    res = cli("--db", str(tmp_path / "w.duckdb"), "report", "--month", month)
    assert res.returncode == 2 and "YYYY-MM" in res.stderr


def test_kpis_lists_every_id():
    res = cli("kpis", "--format", "csv")
    assert res.returncode == 0
    got = rows(res.stdout)
    assert [r["kpi"] for r in got] == list(KEYS)
    assert all(r["label"] and r["label_en"] and r["unit"] and r["direction"] and r["formula"] for r in got)
    assert {r["kpi"]: r["label"] for r in got}["answer_within_3_rings_rate"] == "3声内接听率"


def test_targets_template_and_import(tmp_path):
    db = str(tmp_path / "w.duckdb")
    out = tmp_path / "targets.xlsx"
    assert cli("--db", db, "targets", "template", str(out)).returncode == 0 and out.exists()
    res = cli("--db", db, "targets", "import", str(out))
    assert res.returncode == 0 and "已导入 6 条目标" in res.stdout


def test_metric_passport_doc_is_current():
    from metrics.__main__ import passport_markdown

    assert (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8") == passport_markdown(), \
        "docs/metrics.md is stale: run python -m metrics passport > docs/metrics.md"


def test_settings_show_and_set_as_the_page_checks(db):
    """``settings set`` checks exactly as the settings page (metrics.settings.check_settings): one
    message listing every problem, exit 2, nothing saved; a good set is saved and shown."""
    bad = cli("--db", db, "--lang", "en", "settings", "set", "answer_rings=0", "ring_cycle_seconds=99", "foo=1", "oops")
    assert bad.returncode == 2
    for part in ("“oops” must be KEY=VALUE", "answer_rings", "ring_cycle_seconds", "unknown setting “foo”"):
        assert part in bad.stderr, part
    assert bad.stderr.count("\n") <= 1            # one message
    shown = {r["key"]: r for r in rows(cli("--db", db, "settings", "show", "--format", "csv").stdout)}
    assert shown["answer_rings"]["value"] == "3"   # nothing of the bad set was saved
    ok = cli("--db", db, "settings", "set", "answer_rings=4", "voicemail_as_missed=false", 'sla_hours={"*": 12}')
    assert ok.returncode == 0, ok.stderr
    shown = {r["key"]: r for r in rows(cli("--db", db, "settings", "show", "--format", "csv").stdout)}
    assert (shown["answer_rings"]["value"], shown["answer_rings"]["default"]) == ("4", "3")
    assert shown["voicemail_as_missed"]["value"] == "false" and shown["sla_hours"]["value"] == '{"*": 12}'
