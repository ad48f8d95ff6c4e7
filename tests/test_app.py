"""Every page through the router (``AppTest``), on the metric fixture warehouse and on an empty one.

October 2026 figures are those counted by hand in test_metrics.py."""
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from conftest import FIXTURES, ROOT
from loaders import load_file
from ui.router import PAGES
from warehouse import open_warehouse

PAGE_FILES = [p for p, *_ in PAGES]


@pytest.fixture(autouse=True)
def fresh_caches():
    import streamlit as st
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("app") / "warehouse.duckdb")
    wh = open_warehouse(db)
    for kind in ("roster", "tickets", "callbacks", "sales"):
        load_file(wh, kind, FIXTURES / "metrics" / f"{kind}.csv")
    wh.dispose()
    return db


def app(db, monkeypatch, page=None, **query):
    monkeypatch.setenv("CSDASH_DB", db)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def cards(at):
    return {m.label: (m.value, m.delta) for m in at.metric}


OCTOBER = {"from": "2026-10", "to": "2026-10"}


@pytest.mark.parametrize("page", PAGE_FILES)
def test_every_page_renders_on_the_fixture_warehouse(fixture_db, monkeypatch, page):
    at = app(fixture_db, monkeypatch, page, **OCTOBER)
    assert at.title and not at.error


@pytest.mark.parametrize("page", [p for p in PAGE_FILES if p not in ("pages/imports.py", "pages/settings.py", "pages/users.py")])
def test_every_page_on_an_empty_warehouse_points_to_import(tmp_path, monkeypatch, page):
    at = app(str(tmp_path / "empty.duckdb"), monkeypatch, page)
    assert "仓库还是空的" in at.info[0].value


def test_overview_figures_for_october(fixture_db, monkeypatch):
    got = cards(app(fixture_db, monkeypatch, **OCTOBER))
    assert got["3声内接听率"][0] == "66.7%"       # 6 / 9
    assert got["接通率"][0] == "77.8%"            # 7 / 9
    assert got["放弃率/呼损率"][0] == "36.4%"      # 4 / 11
    assert got["平均应答时长"][0] == "10.4秒"      # 73 / 7
    assert got["满意率"][0] == "60.0%"            # 3 / 5
    assert got["销售额"][0] == "¥740.00"
    assert got["询单转化率"][0] == "60.0%"        # 3 / 5
    # September had 2 offered calls, both answered within 3 rings: 66.7 − 100 = −33.3 pp (MoM shown only
    # with complete months: the fixture covers a few days, so no delta)
    assert not got["3声内接听率"][1]


def test_filter_change_changes_the_figures(fixture_db, monkeypatch):
    at = app(fixture_db, monkeypatch, **OCTOBER)
    at.multiselect(key="f.region").select("华南")
    at.run()
    got = cards(at)
    # 华南: D01 + E02 answered, D02 short abandon → 2 / 2; S03 30 + S09 70 = 100
    assert got["接通率"][0] == "100.0%" and got["销售额"][0] == "¥100.00"
    assert at.query_params["region"] in ("华南", ["华南"])
    # the store list is limited to the region
    assert at.multiselect(key="f.store").options == ["广州店"]


def test_url_reproduces_the_view(fixture_db, monkeypatch):
    at = app(fixture_db, monkeypatch, region="华东", **OCTOBER)
    assert at.multiselect(key="f.region").value == ["华东"]
    assert cards(at)["销售额"][0] == "¥640.00"     # 华东 revenue


def test_bad_query_string_is_dropped_with_a_warning(fixture_db, monkeypatch):
    at = app(fixture_db, monkeypatch, region="火星,华东", to="2026-99", lang="fr", store="'; DROP TABLE x")
    warnings = " ".join(w.value for w in at.warning).replace("\\", "")   # the Markdown source, escapes removed
    assert "region=火星" in warnings and "to=2026-99" in warnings and "lang=fr" in warnings and "DROP" in warnings
    assert at.multiselect(key="f.region").value == ["华东"]
    assert at.title[0].value == "总览"


def test_markdown_in_the_link_is_shown_as_text(fixture_db, monkeypatch):
    """A link that smuggles a Markdown link and image into the app's own warning box: every markup
    character arrives escaped, so the browser shows it as typed (tests/test_browser.py looks)."""
    payload = "[会话已过期请重新登录](https://evil.example/login)![b](http://host/b.png)"
    at = app(fixture_db, monkeypatch, region=payload)
    source = " ".join(w.value for w in at.warning).replace("\u2060", "")   # autolinks broken by a word joiner
    assert "](" not in source and "![" not in source
    assert "\\[会话已过期请重新登录\\]\\(https\\://evil\\.example/login\\)\\!\\[b\\]" in source


def test_english_toggle(fixture_db, monkeypatch):
    at = app(fixture_db, monkeypatch, lang="en", **OCTOBER)
    assert at.title[0].value == "Overview"
    got = cards(at)
    assert got["Answered within 3 rings"][0] == "66.7%" and got["Revenue"][0] == "¥740.00"
    at.segmented_control(key="ui.lang").set_value("zh")
    at.run()
    assert at.title[0].value == "总览"


def test_detail_click_through_masks_and_filters(fixture_db, monkeypatch):
    at = app(fixture_db, monkeypatch, "pages/detail.py", kpi="dissatisfied", part="numerator", **OCTOBER)
    rows = at.dataframe[0].value
    assert sorted(rows["回访编号"]) == ["B03", "B05"]     # grades C and D in October
    # headers are words (the catalog's, or the export's own), never field ids
    assert {"回访时间", "满意度", "班组"} <= set(rows.columns) and "callback_at" not in rows.columns
    assert at.selectbox(key="detail.kpi").value == "dissatisfied"


def test_matrix_colours_by_target(fixture_db, monkeypatch):
    at = app(fixture_db, monkeypatch, "pages/matrix.py", **OCTOBER)
    assert at.selectbox(key="matrix.kpi").value == "answer_within_3_rings_rate"
    assert not at.error


def test_settings_saved_and_checked(tmp_path, monkeypatch):
    db = str(tmp_path / "w.duckdb")
    at = app(db, monkeypatch, "pages/settings.py")
    at.text_input(key="settings.ring_cycle_seconds").set_value("0")
    at.button(key="settings.save").click()
    at.run()
    assert "每声秒数" in at.error[0].value
    at.text_input(key="settings.ring_cycle_seconds").set_value("6")
    at.button(key="settings.save").click()
    at.run()
    from metrics import load_settings
    assert load_settings(open_warehouse(db)).ring_cycle_seconds == 6


def test_a_settings_change_rebuilds_the_rollups_it_makes_stale(tmp_path, monkeypatch):
    from metrics import rollups
    from test_metrics import load_metric_fixtures

    db = str(tmp_path / "w.duckdb")
    wh = open_warehouse(db)
    load_metric_fixtures(wh)
    before = {r["rollup"]: r for r in rollups.status(wh)}
    with wh.connect() as conn:
        prints = dict(conn.execute(sa.text("SELECT name, fingerprint FROM rollups")).fetchall())
    at = app(db, monkeypatch, "pages/settings.py")
    status = at.dataframe[0].value
    assert set(status["状态"]) == {"最新"} and len(status) == len(before)
    at.text_input(key="settings.answer_rings").set_value("2")
    at.button(key="settings.save").click()
    at.run()
    assert not at.exception and "汇总表已按新设置重建" in [s.value for s in at.success]
    with wh.connect() as conn:
        now = dict(conn.execute(sa.text("SELECT name, fingerprint FROM rollups")).fetchall())
    # only the ticket roll-ups depend on the rings setting: rebuilt under it, the others untouched
    assert {n for n in now if now[n] != prints[n]} == {"rollup_tickets_full", "rollup_tickets_org"}
    assert rollups.is_current(wh) and set(at.dataframe[0].value["状态"]) == {"最新"}
    wh.dispose()


def test_scoped_viewer_sees_only_their_region(fixture_db, monkeypatch):
    monkeypatch.setenv("CSDASH_SCOPE_REGIONS", "华南")
    at = app(fixture_db, monkeypatch, region="华东", **OCTOBER)
    assert at.multiselect(key="f.region").options == ["华南"]
    assert "region=华东" in " ".join(w.value for w in at.warning)
    assert cards(at)["销售额"][0] == "¥100.00"


def test_import_page_shows_counts_and_log(fixture_db, monkeypatch):
    at = app(fixture_db, monkeypatch, "pages/imports.py")
    got = {m.label: m.value for m in at.metric}
    assert got["工单/通话"] == "26" and got["回访"] == "8"


def test_the_rejects_download_is_made_on_press_with_every_phone_masked(tmp_path, monkeypatch):
    """The import page hands Streamlit a function, not bytes (an Excel of 20,000 rejects took 3 s on
    every rerun at 10 M rows); pressed, it gives the rejected rows with phone numbers masked, like
    the table shown."""
    import io
    import openpyxl
    from streamlit.delta_generator import DeltaGenerator

    path = tmp_path / "t.csv"
    path.write_text("话单ID,来电时间,渠道,客户电话\nR1,不是时间,在线,13812345678\n", encoding="utf-8")
    wh = open_warehouse(str(tmp_path / "w.duckdb"))
    assert load_file(wh, "tickets", path).rows_rejected == 1
    wh.dispose()
    made, real = {}, DeltaGenerator.download_button

    def spy(self, label, data, *args, **kwargs):
        made[label] = data
        return real(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", spy)
    at = app(str(tmp_path / "w.duckdb"), monkeypatch, "pages/imports.py")
    shown = " ".join(at.dataframe[1].value["raw_row"])
    assert "138****5678" in shown and "13812345678" not in shown
    assert callable(made["下载 CSV"]) and callable(made["下载 Excel"])
    text = made["下载 CSV"]().decode("utf-8-sig")
    assert "138****5678" in text and "13812345678" not in text and "R1" in text
    sheet = openpyxl.load_workbook(io.BytesIO(made["下载 Excel"]())).active
    cells = " ".join(str(c.value) for row in sheet.iter_rows() for c in row)
    assert "138****5678" in cells and "13812345678" not in cells


class _Upload:
    """What st.file_uploader hands the page: a name and the bytes."""

    def __init__(self, path):
        self.name, self._data = path.name, path.read_bytes()

    def getvalue(self):
        return self._data


def test_upload_detects_the_kind_and_loads(tmp_path):
    from ui.imports import load_upload

    wh = open_warehouse(str(tmp_path / "w.duckdb"))
    kind, report, used = load_upload(wh, _Upload(FIXTURES / "metrics" / "sales.csv"), None, False, "测试")
    assert kind == "sales" and report.rows_inserted == 12 and report.file == "sales.csv" and used is None
    with pytest.raises(Exception, match="无法从表头识别文件类型"):
        bad = tmp_path / "notes.csv"
        bad.write_text("a,b\n1,2\n", encoding="utf-8")
        load_upload(wh, _Upload(bad), None, False, "测试")


@pytest.mark.parametrize("page, title, words", [
    ("pages/imports.py", "Import", ["Load log", "Rejected rows"]),
    ("pages/settings.py", "Settings", ["Targets"]),
    ("pages/calls.py", "Calls", []),
])
def test_english_on_every_kind_of_page(fixture_db, monkeypatch, page, title, words):
    at = app(fixture_db, monkeypatch, page, lang="en", **OCTOBER)
    assert at.title[0].value == title
    assert set(words) <= {h.value for h in at.subheader}


def test_a_saved_target_shows_on_the_next_rerun(tmp_path, monkeypatch):
    from datetime import date

    from metrics.targets import Target, save_targets

    db = str(tmp_path / "w.duckdb")
    wh = open_warehouse(db)
    for kind in ("roster", "tickets"):
        load_file(wh, kind, FIXTURES / "metrics" / f"{kind}.csv")
    at = app(db, monkeypatch, **OCTOBER)
    captions = " ".join(c.value for c in at.caption)
    assert "目标 95.0%" in captions                       # the spec's default for answer_rate
    save_targets(wh, [Target("answer_rate", 0.70, effective_month=date(2026, 10, 1))], user="test")
    at.run()                                               # same data version, cached figures
    captions = " ".join(c.value for c in at.caption)
    assert "目标 70.0%" in captions and "目标 95.0%" not in captions


def test_staffing_page_plans_from_the_calls_and_applies_the_seat_rule(fixture_db, monkeypatch):
    """人力排班 on the fixture month: a row per half hour with calls; 100,000 subscribers → ⌈100,000 ÷
    20,000⌉ = 5 seats, 14 × 30 ÷ 174 = 2.41 staff per seat → ⌈12.07⌉ = 13 staff; a headcount of 0
    gives no service level anywhere."""
    at = app(fixture_db, monkeypatch, "pages/staffing.py", **OCTOBER)
    table = next(d.value for d in at.dataframe if "在线所需座席" in d.value.columns)
    assert len(table) >= 1 and (table["在线所需座席"] >= 1).all()
    rule = next(m.value for m in at.markdown if "个座席" in m.value)
    assert "**5** 个座席" in rule and "**2.41**" in rule and "**13** 人" in rule
    at.number_input(key="staffing.headcount").set_value(0).run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "该人数下服务水平" in d.value.columns)
    assert set(table["该人数下服务水平"]) == {"0.0%"}
    assert len(at.get("plotly_chart")) == 3      # heatmap, the day, the weekly answer rate


def test_charts_keep_plotly_whites_look_with_ours_on_top():
    """The dashboard's template is plotly_white updated (axis labels fit: automargin), not replaced."""
    from ui import charts

    fig = charts.go.Figure()
    template = charts.pio.templates[charts.pio.templates.default]
    assert template.layout.yaxis.automargin and template.layout.plot_bgcolor == "white"
    assert template.layout.font.size == 13 and list(template.layout.colorway)[:1] == list(charts.fmt.PALETTE)[:1]
    assert fig.layout.template is not None
