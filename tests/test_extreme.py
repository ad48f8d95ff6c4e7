"""The extreme-value warehouse (``tests/extreme.py``): every page through the router over the whole
plausible window, the appraisal and review documents, and every spreadsheet the product writes read
back with openpyxl and the csv module — no exception, no live formula, no unreadable file."""
from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import openpyxl
import pandas as pd
import pytest

import extreme
from conftest import ROOT
from test_app import PAGE_FILES, app, fresh_caches  # noqa: F401 - fixture
from warehouse import open_warehouse
from warehouse.safety import csv_bytes, spreadsheet_safe, xlsx_bytes


@pytest.fixture(scope="module")
def extreme_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("extreme")
    db = str(folder / "warehouse.duckdb")
    wh = open_warehouse(db)
    extreme.build(wh, folder / "files")
    wh.dispose()
    return db


def _live_formulas(data: bytes) -> list[str]:
    """Cells an .xlsx would run: formulas, or text that starts like one without the apostrophe guard."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    bad = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f" or (isinstance(c.value, str) and c.value[:1] in "=+-@\t\r＝"
                                          and spreadsheet_safe(c.value) != c.value):
                    bad.append(f"{ws.title}!{c.coordinate}={c.value!r}")
    return bad


def _csv_live(data: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    return [v for r in rows for v in r if v and spreadsheet_safe(v) != v]


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGE_FILES)
def test_every_page_over_the_whole_window(extreme_db, monkeypatch, page):
    first, last = extreme.months()
    at = app(extreme_db, monkeypatch, page, **{"from": first, "to": last})
    assert at.title and not at.exception
    assert not at.warning or page == "pages/appraisal.py", [w.value for w in at.warning]   # the window was taken


@pytest.mark.slow
@pytest.mark.parametrize("page", ["pages/overview.py", "pages/appraisal.py", "pages/detail.py"])
def test_pages_on_the_default_month(extreme_db, monkeypatch, page):
    at = app(extreme_db, monkeypatch, page)
    assert at.title and not at.exception


@pytest.mark.slow
def test_review_documents_build_on_click(extreme_db, monkeypatch):
    at = app(extreme_db, monkeypatch, "pages/review.py", **{"from": "2026-10", "to": "2026-10"})
    at.button(key="rv.create").click().run()
    assert not at.exception, [e.value for e in at.exception]
    at.button(key="rv.make.pdf").click().run()
    at.button(key="rv.make.xlsx").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert {b.label for b in at.get("download_button")} >= {"下载 PDF", "下载 Excel"}


def test_review_pack_documents_hold_hostile_values(extreme_db, tmp_path):
    from metrics import Scope
    from reports import pack as rp
    from reports.excel import workbook
    from reports.pdf import write_pdf

    wh = open_warehouse(extreme_db)
    pack = rp.create(wh, "2026-10", rp.PackScope(), viewer=Scope.all(), by=extreme.FORMULA)
    extra = dict(comments={"calls": extreme.LONG_NAME * 3}, actions=rp.actions(wh, pack.month, pack.scope))
    pdf = write_pdf(pack, tmp_path / "p.pdf", **extra)
    assert pdf.stat().st_size > 10_000
    assert _live_formulas(workbook(pack, **extra)) == []
    wh.dispose()


def test_appraisal_documents_hold_hostile_values(extreme_db):
    from appraisal import inputs
    from appraisal.export import workbook
    from appraisal.month import appraisal, year_view
    from metrics import Scope

    wh = open_warehouse(extreme_db)
    month = appraisal(wh, "2026-10", "aftersales", scope=Scope.all())
    data = workbook(month)
    assert _live_formulas(data) == []
    names = " ".join(str(c.value) for ws in openpyxl.load_workbook(io.BytesIO(data)).worksheets
                     for row in ws.iter_rows() for c in row if c.value)
    assert "'=HYPERLINK" in names or "HYPERLINK" not in names
    assert _live_formulas(inputs.template(wh, "2026-10")) == []
    year = year_view(wh, 2026, "aftersales", scope=Scope.all())
    assert _live_formulas(xlsx_bytes({"年": year})) == [] and _csv_live(csv_bytes(year)) == []
    wh.dispose()


def test_hostile_values_read_the_same_from_the_rollups_as_from_the_facts(extreme_db):
    """Formulas, HTML and 32,767-character names as group values, a day-long call, 100,000 rings, a
    ¥1,000,000,000 order, the window's first and last days: the roll-ups hold them exactly."""
    from metrics import Scope, rollups
    from test_rollups import assert_same, used

    wh = open_warehouse(extreme_db)
    try:
        assert rollups.is_current(wh) and used(wh, ("team",))["tickets"] == "rollup_tickets_org"
        first, last = extreme.months()
        for dims in [(), ("team",), ("region", "store"), ("month", "agent")]:
            assert_same(wh, [first, "2026-10", last], dims)
        assert_same(wh, ["2026-10"], ("store",), scope=Scope.of(regions=[extreme.HTML]))
    finally:
        wh.dispose()


def test_targets_template_is_safe(tmp_path):
    from metrics.targets import Target, write_targets_template

    path = write_targets_template(tmp_path / "t.xlsx", [Target("answer_rate", 0.9, "region", p)
                                                         for p in extreme.PAYLOADS])
    assert _live_formulas(path.read_bytes()) == []


def test_every_payload_is_escaped_on_str_columns():
    """pandas 3 text columns are ``str``: the escaping must not depend on the dtype."""
    frame = pd.DataFrame({"name": list(extreme.PAYLOADS), "n": range(len(extreme.PAYLOADS))})
    assert str(frame["name"].dtype) == "str"
    frame[extreme.FORMULA] = "header payload"
    assert _live_formulas(xlsx_bytes({"明细": frame})) == []
    rows = list(csv.reader(io.StringIO(csv_bytes(frame).decode("utf-8-sig"))))
    assert rows[0][-1] == "'" + extreme.FORMULA                   # a header from a file is escaped too
    assert [r[0] for r in rows[1:]] == ["'" + p for p in extreme.PAYLOADS]
    assert [r[1] for r in rows[1:]] == [str(i) for i in range(len(extreme.PAYLOADS))]
    assert spreadsheet_safe("-5") == "-5" and spreadsheet_safe("12.5") == "12.5"   # numbers stay numbers
    assert spreadsheet_safe("a\x00b") == "ab"                                      # an .xlsx cannot hold NUL


def test_rejects_csv_from_the_cli_is_safe(tmp_path):
    """The rejects download: a hostile cell comes back escaped."""
    from loaders import load_file
    from loaders.status import rejects

    path = tmp_path / "t.csv"
    path.write_text("话单ID,来电时间,渠道\n" + "\n".join(f'R{i},"{p.replace(chr(34), chr(34) * 2)}",在线'
                                                          for i, p in enumerate(extreme.PAYLOADS)) + "\n",
                    encoding="utf-8")
    wh = open_warehouse(str(tmp_path / "w.duckdb"))
    report = load_file(wh, "tickets", path, user="t")
    assert report.rows_rejected == len(extreme.PAYLOADS)
    frame = rejects(wh)
    assert _csv_live(csv_bytes(frame)) == [] and _live_formulas(xlsx_bytes({"r": frame})) == []
    wh.dispose()
    # and the command line's rejects CSV
    out = subprocess.run([sys.executable, "-m", "loaders", "--db", str(tmp_path / "w.duckdb"), "rejects"], cwd=ROOT,
                         capture_output=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    cli = out.stdout
    assert _csv_live(cli) == [] and sum("'" + p.strip() in cli.decode() for p in extreme.PAYLOADS) >= 5
