"""Several app processes, one warehouse (issue 17, docs/deploy.md): two ``streamlit run`` processes on
one PostgreSQL database.  A file loaded through the first one's import page (headless Chromium)
shows in the second one's overview on its next rerun — the figures come from the warehouse, the
caches key on its data version, and the roll-ups moved with the load in its transaction."""
import pytest

from conftest import FIXTURES
from loaders import load_file
from metrics import Scope, compute, rollups
from test_browser import ARTIFACTS, CHROMIUM, _rendered, need_chromium, serve
from test_browser_wizard import settled, shows
from warehouse import open_warehouse

M = FIXTURES / "metrics"
NEW_CALLS = 7


def extra_calls(path):
    """Seven answered inbound phone calls of 2026-10-20, new keys."""
    lines = ["工单编号,来电时间,渠道,呼叫类型,业务类型,座席工号,通话结果,振铃时长,通话时长"]
    lines += [f"R{i:02d},2026-10-20 10:{i:02d}:00,电话,呼入,售后,A1,已接听,5,120" for i in range(NEW_CALLS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def card(page, label: str) -> str:
    return page.evaluate("""(label) => Array.from(document.querySelectorAll('[data-testid="stMetric"]'))
        .filter(m => ((m.querySelector('[data-testid="stMetricLabel"]') || {}).innerText || '').trim() === label)
        .map(m => m.querySelector('[data-testid="stMetricValue"]').innerText.trim())[0] || ''""", label)


def offered(db: str) -> int:
    wh = open_warehouse(db)
    try:
        return int(compute(wh, ["offered_calls"], months=["2026-10"], scope=Scope.all())["value"].iloc[0])
    finally:
        wh.dispose()


def test_a_load_through_one_replica_shows_in_the_other_on_its_next_rerun(pg_server, tmp_path):
    need_chromium()
    from playwright.sync_api import expect, sync_playwright

    db = pg_server.create_database()
    wh = open_warehouse(db)
    rollups.build(wh)
    for kind in ("roster", "tickets", "callbacks", "sales"):
        load_file(wh, kind, M / f"{kind}.csv")
    wh.dispose()
    before = offered(db)
    with serve(db) as first, serve(db) as second, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        reader = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
        loader = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
        for page in (reader, loader):
            page.set_default_timeout(90_000)
        reader.goto(f"{second}/?from=2026-10&to=2026-10", wait_until="domcontentloaded")
        _rendered(reader)
        expect(reader.locator('[data-testid="stMetric"]').first).to_be_visible()
        settled(reader)
        assert card(reader, "呼入量") == f"{before:,}"

        loader.goto(f"{first}/imports", wait_until="domcontentloaded")
        _rendered(loader)
        loader.locator("input[type=file]").first.set_input_files(str(extra_calls(tmp_path / "extra_calls.csv")))
        settled(loader)
        loader.get_by_role("button", name="导入", exact=True).click()
        shows(loader, f"extra_calls.csv [tickets]: 读取 {NEW_CALLS} 行，新增 {NEW_CALLS}")

        # the other process, same session: its next rerun (the R shortcut) shows the new figure
        reader.mouse.click(720, 8)             # focus the page (the header strip), not a widget
        reader.keyboard.press("r")
        want = f"{before + NEW_CALLS:,}"
        try:   # the rerun draws the new figure (it never would from the other process's stale cache)
            reader.wait_for_function("""(want) => Array.from(document.querySelectorAll('[data-testid="stMetric"]'))
                .some(m => m.innerText.includes('呼入量') && m.querySelector('[data-testid="stMetricValue"]')
                      .innerText.trim() === want)""", arg=want, timeout=90_000)
        finally:
            settled(reader)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            reader.screenshot(path=str(ARTIFACTS / "replica_second_after_load.png"), full_page=True)
        assert card(reader, "呼入量") == want
        browser.close()
    wh = open_warehouse(db)
    assert rollups.is_current(wh)     # the load through the app kept the roll-ups current
    wh.dispose()
