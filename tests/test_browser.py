"""A real headless Chromium opens every page of the running app and saves a screenshot per page
under tests/artifacts/ (git-ignored); a page that shows a Streamlit exception fails.

Debian's ``chromium`` (and ``fonts-noto-cjk`` so Chinese renders) come from ``make test``; the
PyPI ``playwright`` package drives it — no browser download.  Outside CI a machine without
chromium skips this file; in CI that is a failure."""
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
import texts
from english import data_words, leaks
from metrics.targets import TEMPLATE_COLUMNS
from ui.router import PAGES as ROUTES

# url path → expected Chinese title: a wrong URL would fall back to the overview and fail here
PAGES = {Path(e[0]).stem: texts.text(e[1]) for e in ROUTES}
TITLE_KEYS = {Path(e[0]).stem: e[1] for e in ROUTES}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def need_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium missing in CI: make test should have installed it")
        pytest.skip("Debian chromium not installed")


@contextlib.contextmanager
def serve(db: str):
    """``streamlit run app.py`` on a free port over the warehouse ``db``; yields its URL."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CSDASH_DB": db}
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port",
                             str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.3)   # polling a starting server, not waiting for app state
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def demo_db(folder: Path, months: int = 3) -> str:
    db = str(folder / "warehouse.duckdb")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CSDASH_DB": db}
    subprocess.run([sys.executable, "-m", "loaders", "--db", db, "demo", "--months", str(months),
                    "--out", str(folder / "demo")], check=True, env=env, cwd=ROOT, capture_output=True, timeout=600)
    subprocess.run([sys.executable, "-m", "appraisal", "--db", db, "demo-history"], check=True, env=env, cwd=ROOT,
                   capture_output=True, timeout=600)   # as make run does
    return db


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    need_chromium()
    return demo_db(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def server(demo_path):
    with serve(demo_path) as url:
        yield url


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def _rendered(page) -> None:
    """Wait until Streamlit has finished running the script and drawn the main area."""
    page.wait_for_selector('[data-testid="stMain"]', timeout=60_000)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
               && document.querySelector('[data-testid="stMainBlockContainer"] h1')""", timeout=90_000)
    page.wait_for_load_state("networkidle")
    # cards and charts draw after the script finished: wait for their placeholders to go
    page.wait_for_function("""() => !document.querySelector('[data-testid="stSkeleton"]')""", timeout=60_000)


@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_in_chromium(server, browser, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    try:
        page.goto(f"{server}/{name}", wait_until="domcontentloaded")
        _rendered(page)
        if name == "overview":
            page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60_000)
            # the 12-month sparklines are Vega charts drawn after the cards: a screenshot before them
            # shows empty cards
            page.wait_for_function("""() => document.querySelectorAll(
                '[data-testid="stMetric"] canvas, [data-testid="stMetric"] svg.marks').length >= 15""",
                                   timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
            '[data-testid="stException"]').first.inner_text()
        assert page.locator('[data-testid="stMainBlockContainer"] h1').first.inner_text().strip() == PAGES[name]
        assert page.get_by_text("Page not found").count() == 0
        if name == "overview":
            assert page.locator('[data-testid="stMetricValue"]').count() == 15
    finally:
        page.close()


def test_english_toggle_from_the_url(server, browser):
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    try:
        page.goto(f"{server}/overview?lang=en", wait_until="domcontentloaded")
        _rendered(page)
        page.screenshot(path=str(ARTIFACTS / "overview_en.png"), full_page=True)
        assert page.locator('[data-testid="stMainBlockContainer"] h1').first.inner_text().strip() == "Overview"
    finally:
        page.close()


def test_review_pack_created_in_chromium(server, browser):
    """A manager opens 月度复盘, creates the pack, and sees its sections with the download buttons."""
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    try:
        page.goto(f"{server}/review", wait_until="domcontentloaded")
        _rendered(page)
        page.get_by_role("button", name="生成并冻结复盘材料").click()
        page.get_by_role("button", name="生成 PDF").click(timeout=120_000)
        page.get_by_text("下载 PDF").wait_for(timeout=120_000)
        _rendered(page)
        page.screenshot(path=str(ARTIFACTS / "review_pack.png"), full_page=True)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_role("tab", name="指标总览").count() == 1
    finally:
        page.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_page_in_english_shows_no_chinese_outside_data(server, browser, demo_path, name):
    """A first visit to ?lang=en: the page, its title and the navigation in English (a screenshot each in
    tests/artifacts/<page>_en.png); Han characters only inside the data's own values."""
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    try:
        page.goto(f"{server}/{name}?lang=en", wait_until="domcontentloaded")
        _rendered(page)
        page.screenshot(path=str(ARTIFACTS / f"{name}_en.png"), full_page=True)
        assert page.locator('[data-testid="stException"]').count() == 0
        title = page.locator('[data-testid="stMainBlockContainer"] h1').first.inner_text().strip()
        assert title == texts.text(TITLE_KEYS[name], "en")
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert texts.text("page.overview", "en") in nav and texts.text("page.overview") not in nav
        # the whole window's text: the sidebar, the page, tab labels, table headers drawn as text
        shown = page.locator("body").inner_text().splitlines()
        # allowed: the data's names, languages named in their own language, and the Chinese headers a file
        # to import must have (the targets template's, quoted on the settings page)
        allowed = data_words(demo_path) | set(texts.LANGS.values()) | set(TEMPLATE_COLUMNS)
        assert leaks(shown, allowed) == []
    finally:
        page.close()


def test_subject_page_waterfall_in_chromium(server, browser):
    """话务's 变化归因: the waterfall is drawn (a Plotly waterfall trace with its steps) in Chromium;
    a screenshot of the section (look at it: bars, month labels, signed pp steps)."""
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    try:
        page.goto(f"{server}/calls", wait_until="domcontentloaded")
        _rendered(page)
        heading = page.get_by_role("heading", name="变化归因")
        heading.scroll_into_view_if_needed()
        page.wait_for_selector(".js-plotly-plot .waterfalllayer .point", timeout=60_000)
        chart = page.locator(".js-plotly-plot", has=page.locator(".waterfalllayer")).first
        chart.scroll_into_view_if_needed()
        chart.screenshot(path=str(ARTIFACTS / "calls_waterfall.png"))
        assert page.locator('[data-testid="stException"]').count() == 0
        assert chart.locator(".waterfalllayer .point").count() >= 3      # before, ≥ 1 group, after
        assert "pp" in chart.inner_text()
    finally:
        page.close()


def test_control_chart_and_overview_flags_in_chromium(server, browser):
    """话务's 控制图 on the demo data (12 months): the band, the centre line and the KPI drawn; the
    overview's list of this month's flags (or the sentence that there are none).  Screenshots of both."""
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    try:
        page.goto(f"{server}/calls", wait_until="domcontentloaded")
        _rendered(page)
        page.get_by_role("heading", name="控制图").scroll_into_view_if_needed()
        chart = page.locator(".js-plotly-plot", has=page.locator(".gtitle", has_text="近 12 个月与控制限")).first
        chart.wait_for(timeout=60_000)
        chart.scroll_into_view_if_needed()
        chart.screenshot(path=str(ARTIFACTS / "calls_control.png"))
        assert chart.locator(".scatterlayer .trace").count() >= 4       # band (2), centre, the KPI
        assert page.locator('[data-testid="stException"]').count() == 0
        page.goto(f"{server}/overview", wait_until="domcontentloaded")
        _rendered(page)
        heading = page.get_by_role("heading", name="异常（控制图）")
        heading.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "overview_flags.png"))
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        page.close()


@pytest.mark.parametrize("path, heading, shot", [
    ("complaints", "投诉登记表", "complaints_register.png"),
    ("satisfaction", "回访任务", "satisfaction_worklists.png"),
    ("imports", "数据质量", "imports_quality.png"),
    ("stores", "门店计分卡", "stores.png"),
    ("stores", "门店排行", "stores_league.png"),
    ("stores", "促销效果", "stores_promotions.png"),
    ("customers", "客户", "customers.png"),
    ("customers", "客户名单", "customers_lists.png"),
])
def test_issue_19_sections_in_chromium(server, browser, path, heading, shot):
    """The complaint register (stages, overdue rows in red), 回访任务 (the key-customer worklist of the
    demo's list) and the data-quality panel, each scrolled into view and photographed (look at them)."""
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    try:
        page.goto(f"{server}/{path}", wait_until="domcontentloaded")
        _rendered(page)
        if shot == "customers_lists.png":   # the lists are made on demand: turn them on
            page.get_by_text("显示客户名单").click()
            page.get_by_role("tab", name=re.compile("休眠客户")).wait_for(timeout=60_000)
            _rendered(page)
        if shot == "satisfaction_worklists.png":   # so are the worklists
            page.get_by_text("显示回访任务清单").click()
            page.get_by_role("tab", name=re.compile("装机次日回访")).wait_for(timeout=60_000)
            _rendered(page)
        page.get_by_role("heading", name=heading).first.scroll_into_view_if_needed()
        page.wait_for_timeout(500)   # the grid's canvas paints after the scroll
        page.screenshot(path=str(ARTIFACTS / shot))
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator('[data-testid="stDataFrame"]').count() >= 1
    finally:
        page.close()
