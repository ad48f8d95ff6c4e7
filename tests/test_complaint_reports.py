"""The weekly complaint report and the monthly notices (issue 19, point 5), counted by hand on
``fixtures/metrics/complaints.csv`` and read back from the PDF's text and the Excel file; frozen
like packs; the CLI."""
from __future__ import annotations

import io
import subprocess
import sys

import openpyxl
import pandas as pd
import pytest

from conftest import ROOT
from metrics import Scope
from reports import complaints as cr
from reports.errors import ReportError
from test_complaints import load
from test_reports import needs_poppler, pdf_text


def frame(report, key):
    return report.sections[key][0].frame


def test_weekly_report_by_hand(wh):
    load(wh)
    r = cr.create(wh, "weekly", "2026-W44", viewer=Scope.all(), by="经理")
    # W44 = 10-26 … 11-01: TS07 (10-31 23:59:59, A2 → 华南) and TS08 (11-01 00:00:00, A1 → 华东), both 安装
    counts = frame(r, "counts")
    assert [tuple(x) for x in counts[["region", "category", "complaints", "complaint_items"]].itertuples(index=False)] == [
        ("华东", "安装", 1, 1), ("华南", "安装", 1, 1)]
    trend = frame(r, "trend").set_index("week")
    # W40: TS09 (09-30) + TS01 (10-02); W41: TS02, TS03; W42: TS05 (an opinion); W43: TS04 + TS06 (a suggestion)
    assert list(trend.index) == [f"2026-W{w}" for w in range(37, 45)]
    assert list(trend["complaint_items"]) == [0, 0, 0, 2, 2, 1, 2, 2]
    assert list(trend["complaints"]) == [0, 0, 0, 2, 2, 0, 1, 2]
    assert trend.loc["2026-W42", "opinions"] == 1 and trend.loc["2026-W43", "suggestions"] == 1
    lines = frame(r, "lines").set_index("line")
    # 400-1: W40 TS01 TS09, W41 TS02, W44 TS08; 400-2: W43 TS04, W44 TS07; TS03 came by WeChat (在线)
    assert list(lines.loc["400-1", ["2026-W40", "2026-W41", "2026-W42", "2026-W43", "2026-W44"]]) == [2, 1, 0, 0, 1]
    assert lines.loc["在线", "2026-W41"] == 1 and not lines["line_rule"].any()
    # open at the week's end (11-02 00:00): the overdue first — TS04 (10-21), TS05 (10-19), TS02 (10-15)…
    open_ = frame(r, "open")
    assert set(open_["complaint_id"]) == {"TS02", "TS04", "TS05", "TS06", "TS07", "TS08"}
    assert list(open_["complaint_id"][:4]) == ["TS02", "TS05", "TS04", "TS06"]   # overdue, by deadline
    # TS08's judgement is due at 11-02 00:00:00 — the report's instant: not yet overdue
    assert pd.isna(open_.set_index("complaint_id").loc["TS08", "overdue_hours"])


def test_the_line_rule_of_the_seed():
    assert cr.line_rule([2000, 1500, 1000, 500, 0], 500)
    assert not cr.line_rule([2000, 1500, 1000, 600, 0], 500)     # one week fell by 400 only
    assert not cr.line_rule([1500, 1000, 500, 0], 500)           # four weeks need a fifth before them


def test_notices_by_department_and_region_by_hand(wh):
    load(wh)
    dept = cr.create(wh, "notice", "2026-10", level="department", value="装维部", viewer=Scope.all(), by="m")
    s = frame(dept, "summary").set_index("kpi")
    # 装维部 in October: TS01 (valid, resolved in 24 h, called back B) and TS07 (valid, a plan, not approved)
    assert s.loc["complaints", "value"] == 2 and s.loc["complaint_valid_rate", "value"] == 1
    assert (s.loc["complaint_resolved_rate", "numerator"], s.loc["complaint_resolved_rate", "denominator"]) == (1, 2)
    assert s.loc["complaint_result_hours", "value"] == 24 and s.loc["installer_complaints", "value"] == 2
    assert list(frame(dept, "open")["complaint_id"]) == ["TS07"]
    south = cr.create(wh, "notice", "2026-10", level="region", value="华南", viewer=Scope.all(), by="m")
    # 华南: TS02 TS06 TS07 (A2) and TS04 (its own region): 3 complaints and a suggestion
    s = frame(south, "summary").set_index("kpi")
    assert (s.loc["complaint_items", "value"], s.loc["complaints", "value"]) == (4, 3)
    cats = frame(south, "categories").set_index("category")
    assert cats.loc["安装", "complaints"] == 2 and cats.loc["服务", "suggestions"] == 1
    # a viewer scoped to 售后一组 gets its own notice: no 华南 rows at all
    mine = cr.create(wh, "notice", "2026-10", level="region", value="华南", viewer=Scope.of(teams=["售后一组"]), by="m")
    assert frame(mine, "summary")["value"].isna().all() and frame(mine, "open").empty


def test_reports_are_frozen_until_refreshed(wh, tmp_path):
    load(wh)
    first = cr.create(wh, "notice", "2026-10", viewer=Scope.all(), by="甲")
    from metrics.complaints import advance
    advance(wh, "TS04", "judged", {"valid": True, "responsible_department": "装维部"}, scope=Scope.all(), user="乙")
    again = cr.create(wh, "notice", "2026-10", viewer=Scope.all(), by="丙")
    assert again.report_id == first.report_id and again.meta["created_by"] == "甲"
    assert frame(again, "summary").equals(frame(first, "summary"))
    fresh = cr.create(wh, "notice", "2026-10", viewer=Scope.all(), by="丙", refresh=True)
    rate = frame(fresh, "summary").set_index("kpi").loc["complaint_valid_rate"]
    assert (rate.numerator, rate.denominator) == (4, 5) and fresh.meta["refreshed_at"]


@needs_poppler
def test_weekly_report_read_back_from_pdf_and_excel(wh, tmp_path):
    load(wh)
    r = cr.create(wh, "weekly", "2026-W44", viewer=Scope.all(), by="经理")
    text = pdf_text(cr.write_pdf(r, tmp_path / "w.pdf"))
    assert "投诉周报 · 2026-W44" in text and "未闭环事项" in text and "华南" in text and "TS07" in text
    assert "400-1" in text and "判定" in text
    book = openpyxl.load_workbook(io.BytesIO(cr.workbook(r)))
    counts = book[book.sheetnames[1]]
    rows = [[c.value for c in row] for row in counts.iter_rows(min_row=2)]
    assert rows[0][:4] == ["区域", "问题分类", "投诉登记量", "投诉量"]
    assert ["华东", "安装", 1, 1] == rows[1][:2] + [rows[1][2], rows[1][3]]
    en = pdf_text(cr.write_pdf(r, tmp_path / "w_en.pdf", "en"))
    assert "Weekly complaint report" in en and "Open items" in en


def test_bad_requests_are_refused_with_the_reason(wh):
    load(wh)
    for kw, code in ((dict(kind="weekly", period="2026-45"), "creport.bad_week"),
                     (dict(kind="notice", period="2026-10", level="store", value="x"), "creport.bad_level"),
                     (dict(kind="yearly", period="2026"), "creport.bad_kind")):
        with pytest.raises(ReportError) as exc:
            cr.create(wh, kw.pop("kind"), kw.pop("period"), viewer=Scope.all(), by="m", **kw)
        assert exc.value.code == code


def test_cli_writes_the_weekly_report_and_a_notice(tmp_path):
    from warehouse import open_warehouse

    db = str(tmp_path / "w.duckdb")
    wh = open_warehouse(db)
    load(wh)
    wh.dispose()
    for args in (["weekly", "--week", "2026-W44", "--out", str(tmp_path / "周报.xlsx")],
                 ["notice", "--month", "2026-10", "--department", "装维部", "--out", str(tmp_path / "通报.pdf")]):
        done = subprocess.run([sys.executable, "-m", "reports", "--db", db, *args], capture_output=True, text=True,
                              cwd=ROOT, timeout=300)
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "周报.xlsx").stat().st_size > 0 and (tmp_path / "通报.pdf").stat().st_size > 0
    bad = subprocess.run([sys.executable, "-m", "reports", "--db", db, "weekly", "--week", "45", "--out",
                          str(tmp_path / "x.pdf")], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert bad.returncode == 2 and "2026-W45" in bad.stderr and "Traceback" not in bad.stderr
