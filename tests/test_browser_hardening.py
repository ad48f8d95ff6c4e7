"""Hardening in a real headless Chromium: ten managers opening the dashboard at once (three rounds,
with and without a CLI load writing the same DuckDB file), a Markdown link smuggled in the URL, and
the extreme-value warehouse's overview and appraisal pages (screenshots in tests/artifacts/)."""
from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse

import pytest

import extreme
from conftest import ROOT
from test_browser import ARTIFACTS, _rendered, browser, demo_db, need_chromium, serve  # noqa: F401 - fixture
from warehouse import open_warehouse

# ten sessions: different pages and filters, as managers open them on the first working day
VIEWS = ["overview", "calls", "tickets", "satisfaction", "sales", "matrix", "detail", "appraisal",
         "overview?region=华东", "calls?lang=en"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    need_chromium()
    folder = tmp_path_factory.mktemp("concurrent")
    return folder, demo_db(folder)


@pytest.fixture(scope="module")
def server(demo):
    with serve(demo[1]) as url:
        yield url


def _new_tickets(folder, round_no: int, rows: int = 20_000):
    """A tickets export the CLI can load while the pages are open (new ids each round)."""
    path = folder / f"more_{round_no}.csv"
    lines = ["话单ID,来电时间,渠道,问题分类,通话时长"]
    lines += [f"N{round_no}_{i},2026-{(i % 3) + 8:02d}-{(i % 28) + 1:02d} 10:{i % 60:02d}:00,在线,售后/安装,60"
              for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _open_all(browser, server) -> list[str]:
    """Open every view at once, then wait for each; returns the problems seen."""
    pages = [browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN") for _ in VIEWS]
    problems = []
    try:
        for page, view in zip(pages, VIEWS):
            page.goto(f"{server}/{view}", wait_until="commit")
        for page, view in zip(pages, VIEWS):
            try:
                _rendered(page)
            except Exception as exc:   # noqa: BLE001 - a page that never finishes is a failure too
                problems.append(f"{view}: not rendered ({type(exc).__name__})")
                continue
            if page.locator('[data-testid="stException"]').count():
                problems.append(f"{view}: " + page.locator('[data-testid="stException"]').first.inner_text()[:300])
    finally:
        for page in pages:
            page.close()
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("with_load", [False, True], ids=["pages_only", "with_cli_load"])
def test_ten_sessions_at_once_three_times(server, browser, demo, with_load):
    folder, db = demo
    for round_no in range(3):
        load = None
        if with_load:
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            load = subprocess.Popen([sys.executable, "-m", "loaders", "--db", db, "load", "tickets",
                                     str(_new_tickets(folder, round_no))], env=env, cwd=ROOT,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        problems = _open_all(browser, server)
        if load is not None:
            out, err = load.communicate(timeout=300)
            assert load.returncode == 0, err
            assert "新增 20000" in out, out
        assert problems == [], problems


def test_markdown_in_the_link_is_text_in_the_browser(server, browser):
    payload = "[会话已过期请重新登录](https://evil.example/login)![b](http://host.invalid/b.png)"
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    fetched = []
    page.on("request", lambda r: fetched.append(r.url)
            if urllib.parse.urlsplit(r.url).hostname in ("host.invalid", "evil.example") else None)
    try:
        page.goto(f"{server}/overview?region={urllib.parse.quote(payload)}", wait_until="domcontentloaded")
        _rendered(page)
        alert = page.locator('[data-testid="stAlert"]').first
        text = alert.inner_text().replace("\u2060", "")   # the invisible joiner that breaks autolinks
        assert "[会话已过期请重新登录](https://evil.example/login)" in text
        assert page.locator('a[href*="evil.example"]').count() == 0
        assert page.locator('img[src*="host.invalid"]').count() == 0
        assert fetched == []
        page.screenshot(path=str(ARTIFACTS / "hostile_link.png"))
    finally:
        page.close()


@pytest.fixture(scope="module")
def extreme_server(tmp_path_factory):
    need_chromium()
    folder = tmp_path_factory.mktemp("extreme_browser")
    db = str(folder / "warehouse.duckdb")
    wh = open_warehouse(db)
    extreme.build(wh, folder / "files")
    wh.dispose()
    with serve(db) as url:
        yield url


@pytest.mark.parametrize("view", ["overview?from=2026-10&to=2026-10", "appraisal?from=2026-10&to=2026-10",
                                  "calls?from={first}&to={last}"])
def test_extreme_values_render_in_the_browser(extreme_server, browser, view):
    first, last = extreme.months()
    view = view.format(first=first, last=last)
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    try:
        page.goto(f"{extreme_server}/{view}", wait_until="domcontentloaded")
        _rendered(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator('a[href*="evil.example"]').count() == 0
        assert page.locator('img[src="x"]').count() == 0
        name = view.split("?")[0]
        if name == "appraisal":   # the after-sales division holds the hostile names
            page.get_by_text("售后", exact=True).first.click()
            _rendered(page)
            assert page.locator('[data-testid="stException"]').count() == 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"extreme_{name}.png"), full_page=True)
    finally:
        page.close()
