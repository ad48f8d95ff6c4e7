"""The monthly review pack on the metric fixture warehouse (October 2026 figures counted by hand in
test_metrics.py: 21 contacts, answer rate 7/9, revenue ¥740…), read back from its Excel file and
from its PDF's text; the PDF's pages are rendered to PNG (tests/artifacts/pack-*.png) to look at."""
import io
import shutil
import subprocess
import sys
from datetime import date, datetime

import openpyxl
import pytest

from conftest import FIXTURES, ROOT
from loaders import load_file
from metrics import Scope
from reports.excel import workbook
from reports.pack import PackScope, actions, add_action, comments, create, open_pack, pack_log, save_comment, \
    set_action_status
from reports.pdf import write_pdf

M = FIXTURES / "metrics"
ARTIFACTS = ROOT / "tests" / "artifacts"
ALL = PackScope()


@pytest.fixture
def rwh(duck_wh):
    for kind in ("roster", "tickets", "callbacks", "sales"):
        load_file(duck_wh, kind, M / f"{kind}.csv")
    return duck_wh


def sheet_values(data: bytes, sheet: str) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [[c for c in row] for row in book[sheet].iter_rows(values_only=True)]


def summary_rows(data: bytes) -> dict[str, list]:
    rows = sheet_values(data, "指标总览")
    return {r[0]: r for r in rows if r and isinstance(r[0], str)}


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext") and not __import__("os").environ.get("CI"),
                                   reason="Debian poppler-utils not installed (make test installs it)")


def test_excel_figures(rwh):
    pack = create(rwh, "2026-10", ALL, viewer=Scope.all(), by="经理")
    data = workbook(pack, comments={}, actions=actions(rwh, "2026-10", ALL))
    book = openpyxl.load_workbook(io.BytesIO(data))
    # no store export loaded: no store section; orders with customers: the customer section
    assert book.sheetnames == ["封面", "指标总览", "变化归因", "话务", "工单", "回访满意度", "销售与转化", "客户",
                               "团队×月份（近6个月）", "绩效考核", "行动项", "数据质量"]
    rows = summary_rows(data)
    assert rows["咨询量/来电量"][1] == 21
    assert rows["接通率"][1] == pytest.approx(7 / 9)          # a number with a % format, not text
    assert rows["销售额"][1] == pytest.approx(740)
    assert rows["满意度均分"][1] == pytest.approx(8 / 5)
    cell = next(c for row in book["指标总览"].iter_rows() for c in row if c.value == pytest.approx(7 / 9))
    assert cell.number_format == "0.0%"
    # 变化归因: answer rate 100 % → 77.8 % since September, by region (test_attribution counts it):
    # 华东 −25.9 pp, the total −22.2 pp, written as points with the pp format
    why = sheet_values(data, "变化归因")
    start = next(i for i, r in enumerate(why) if r and str(r[0]).startswith("接通率："))
    head = why[start + 1]
    assert head[:2] == ["区域", "上月值"] and head[-1] == "贡献"
    table = {r[0]: r for r in why[start + 2:start + 8] if r and r[0]}
    assert table["华东"][-1] == pytest.approx(-25.9, abs=0.05)
    assert table["合计"][-1] == pytest.approx((7 / 9 - 1) * 100)
    assert table["合计"][1] == pytest.approx(1.0) and table["合计"][2] == pytest.approx(7 / 9)
    by_team = sheet_values(data, "话务")
    assert any(r[0] == "售后一组" for r in by_team if r)


@needs_poppler
def test_pdf_text_pages_and_png(rwh, tmp_path):
    pack = create(rwh, "2026-10", ALL, viewer=Scope.all(), by="经理")
    save_comment(rwh, pack.pack_id, "calls", "接通率低于目标，排查早高峰排班。", by="经理")
    add_action(rwh, "2026-10", ALL, title="早高峰加开两个座席", owner="张组长", due=date(2026, 11, 15), by="经理")
    path = write_pdf(pack, tmp_path / "pack.pdf", comments=comments(rwh, pack.pack_id),
                     actions=actions(rwh, "2026-10", ALL))
    text = pdf_text(path)
    pages = text.split("\f")[:-1]
    assert len(pages) == 13       # 变化归因 takes two pages; the customer section (orders are loaded)
    for n, page in enumerate(pages, start=1):                 # the month, the scope and the page on every page
        assert "2026年10月" in page and "全部" in page and f"第 {n} / {len(pages)} 页" in page
    assert "77.8%" in text and "¥740" in text and "21" in text
    # 变化归因: answer rate 100 % → 77.8 %, −22.2 pp, of which 华东 −25.9 pp (test_attribution)
    why = next(p for p in pages if "接通率：较上月的变化按组拆分" in p)
    line = next(x for x in why.splitlines() if x.strip().startswith("华东"))
    assert "-25.9pp" in line
    assert "接通率低于目标" in text and "早高峰加开两个座席" in text and "张组长" in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "NotoSansCJK" in fonts and " yes " in fonts       # the CJK font is embedded
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(ARTIFACTS / "pack")], check=True)
    assert (ARTIFACTS / "pack-01.png").stat().st_size > 10_000


def test_frozen_pack_unchanged_by_a_later_load_until_refreshed(rwh, tmp_path):
    first = create(rwh, "2026-10", ALL, viewer=Scope.all(), by="经理甲")
    before = workbook(first, comments={}, actions=actions(rwh, "2026-10", ALL))
    f = tmp_path / "more.csv"
    f.write_text("工单编号,来电时间,渠道,呼叫类型,座席工号,通话结果,振铃时长\n"
                 "Z1,2026-10-20 09:00:00,电话,呼入,A1,已接听,5\nZ2,2026-10-21 09:00:00,电话,呼入,A1,已接听,5\n",
                 encoding="utf-8")
    load_file(rwh, "tickets", f)
    again = open_pack(rwh, "2026-10", ALL, viewer=Scope.all())
    assert open_pack(rwh, "2026-10", ALL, viewer=Scope.of(regions=["华东"])) is None  # built for a wider viewer
    assert summary_rows(workbook(again, comments={}, actions=actions(rwh, "2026-10", ALL))) == summary_rows(before)
    assert create(rwh, "2026-10", ALL, viewer=Scope.all(), by="经理甲").meta == again.meta  # reopened, not rebuilt
    refreshed = create(rwh, "2026-10", ALL, viewer=Scope.all(), by="经理乙", refresh=True)
    rows = summary_rows(workbook(refreshed, comments={}, actions=actions(rwh, "2026-10", ALL)))
    assert rows["咨询量/来电量"][1] == 23 and rows["接通率"][1] == pytest.approx(9 / 11)
    log = pack_log(rwh, refreshed.pack_id)
    assert list(log["action"]) == ["create", "refresh"] and list(log["by_user"]) == ["经理甲", "经理乙"]
    assert refreshed.meta["settings"] and refreshed.meta["rules_version"]


def test_scoped_pack_has_no_other_region(rwh):
    pack = create(rwh, "2026-10", PackScope("region", "华东"), viewer=Scope.all(), by="经理")
    book = openpyxl.load_workbook(io.BytesIO(workbook(pack, comments={}, actions=actions(rwh, "2026-10", ALL))))
    cells = {str(c) for ws in book.worksheets if ws.title != "数据质量" for row in ws.iter_rows(values_only=True)
             for c in row if c is not None}
    assert not any(word in c for c in cells for word in ("华南", "广州店", "售后二组"))
    assert any("售后一组" in c for c in cells) and any("区域：华东" in c for c in cells)
    everyone = create(rwh, "2026-10", ALL, viewer=Scope.all(), by="经理")
    assert summary_rows(workbook(everyone, comments={}, actions=actions(rwh, "2026-10", ALL)))["咨询量/来电量"][1] > \
        summary_rows(workbook(pack, comments={}, actions=actions(rwh, "2026-10", ALL)))["咨询量/来电量"][1]
    # a viewer limited to 华南 asking for a 华东 pack sees nothing of it
    other = create(rwh, "2026-11", PackScope("region", "华东"), viewer=Scope.of(regions=["华南"]), by="经理")
    assert all(t.frame.empty for t in other.sections["calls"])


def test_actions_carry_into_next_month_until_closed(rwh):
    sep = add_action(rwh, "2026-09", ALL, title="补录九月回访", owner="李主管", due=date(2026, 10, 10), by="经理")
    done_early = add_action(rwh, "2026-09", ALL, title="九月已完成", owner="王", due=date(2026, 9, 30), by="经理")
    set_action_status(rwh, done_early, "done", by="王", at=datetime(2026, 9, 28, 10))
    october = actions(rwh, "2026-10", ALL)
    assert list(october["action_id"]) == [sep] and bool(october["carried"].iloc[0])
    set_action_status(rwh, sep, "done", by="李主管", at=datetime(2026, 10, 20, 9))
    assert actions(rwh, "2026-10", ALL).set_index("action_id").loc[sep, "status"] == "done"  # closed in October
    assert actions(rwh, "2026-11", ALL).empty                                                 # not carried further
    assert actions(rwh, "2026-10", PackScope("team", "售后一组")).empty                        # another scope's list


def test_cli_pack(rwh, tmp_path):
    db = rwh.url
    rwh.dispose()
    out = tmp_path / "复盘.xlsx"
    res = subprocess.run([sys.executable, "-m", "reports", "--db", db, "pack", "--month", "2026-10", "--region", "华东",
                          "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    assert "区域：华东" in res.stdout and out.stat().st_size > 5000
    bad = subprocess.run([sys.executable, "-m", "reports", "--db", db, "pack", "--month", "2026-10", "--out",
                          str(tmp_path / "x.doc")], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and ".pdf 或 .xlsx" in bad.stderr


def test_packs_are_kept_under_a_language_free_scope_key(rwh):
    """A pack stored under the old display text (Scope.describe) is found and migrated to Scope.key."""
    import sqlalchemy as sa

    viewer = Scope.of(regions=["华东"], teams=["售后一组"])
    assert viewer.key() == '{"regions": ["华东"], "stores": null, "teams": ["售后一组"]}'
    assert Scope.of(regions=["b", "a"]).key() == Scope.of(regions=["a", "b"]).key() != Scope.all().key()
    pack = create(rwh, "2026-10", ALL, viewer=viewer, by="经理")
    with rwh.begin() as conn:   # as a version before the key stored it
        conn.execute(sa.text("UPDATE review_packs SET viewer_scope = :d WHERE pack_id = :p"),
                     {"d": viewer.describe(), "p": pack.pack_id})
    again = open_pack(rwh, "2026-10", ALL, viewer=viewer)
    assert again is not None and again.pack_id == pack.pack_id
    with rwh.connect() as conn:
        stored = conn.execute(sa.text("SELECT viewer_scope FROM review_packs WHERE pack_id = :p"),
                              {"p": pack.pack_id}).scalar()
    assert stored == viewer.key()
    assert open_pack(rwh, "2026-10", ALL, viewer=Scope.of(regions=["华东"])) is None   # a different viewer


@needs_poppler
def test_english_pack_reads_in_english(rwh, tmp_path):
    """The same pack in English: every title, header, status, section, flag and the frozen descriptions
    (scope, settings) in English; Han characters only in the data's own names."""
    from english import data_words, leaks
    import texts

    pack = create(rwh, "2026-10", ALL, viewer=Scope.all(), by="manager")
    extra = dict(comments={}, actions=actions(rwh, "2026-10", ALL), lang="en")
    words = data_words(rwh.url) | {"经理"}
    text = pdf_text(write_pdf(pack, tmp_path / "pack_en.pdf", **extra))
    assert "Monthly review pack" in text and "Oct 2026" in text and "page 1 of" in text
    assert leaks(text.splitlines(), words) == []
    book = openpyxl.load_workbook(io.BytesIO(workbook(pack, **extra)))
    assert book.sheetnames[:4] == [texts.text("pack.cover", "en"), texts.text("pack.summary", "en"),
                                   texts.text("pack.why", "en"), texts.text("pack.calls", "en")]
    cells = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert leaks(cells, words) == []


def test_store_and_customer_sections_when_their_exports_are_loaded(rwh):
    for kind in ("stores", "store_targets", "store_audits", "inventory_snapshots", "receivables"):
        load_file(rwh, kind, M / f"{kind}.csv")
    pack = create(rwh, "2026-10", ALL, viewer=Scope.all(), by="经理")
    assert "stores" in pack.keys() and "customers" in pack.keys()
    data = workbook(pack, comments={}, actions=actions(rwh, "2026-10", ALL))
    rows = {r[0]: r for r in sheet_values(data, "门店运营") if r and isinstance(r[0], str)}
    # by store (tests/test_metrics.py): 上海店 revenue 640, QSC 85; 广州店 100, stock-outs 1 of 2
    header = next(r for r in sheet_values(data, "门店运营") if r and r[0] == "门店")
    shanghai = rows["上海店"]
    assert shanghai[header.index("销售额")] == pytest.approx(640) and shanghai[header.index("QSC得分")] == pytest.approx(85)
    assert rows["广州店"][header.index("缺货率")] == pytest.approx(0.5)
    # customers by month: October's 4 buyers, September's buyers all back (100 %), K1 of K1 K2 returned (50 %)
    october = next(r for r in sheet_values(data, "客户") if r and r[0] == "2026-10")
    assert october[1:4] == (4, 1, 0.5) or list(october[1:4]) == [4, 1, 0.5]
    # a viewer limited to a team sees no store's figures in it
    team = create(rwh, "2026-10", ALL, viewer=Scope.of(teams=["售后一组"]), by="组长")
    assert all(t.frame.empty for t in team.sections["stores"])
