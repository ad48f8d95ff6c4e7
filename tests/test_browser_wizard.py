"""The import wizard in a real headless Chromium (issue 15): an English-header call log mapped from
scratch, saved as a profile and loaded; then a second file of the same vendor is recognised by its
profile and loads with no edits.  Screenshots: tests/artifacts/wizard_*.png."""
import pytest

from conftest import FIXTURES
from test_browser import ARTIFACTS, CHROMIUM, _rendered, need_chromium, serve

V = FIXTURES / "vendor"


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    need_chromium()
    from playwright.sync_api import sync_playwright

    db = str(tmp_path_factory.mktemp("wizard") / "warehouse.duckdb")
    with serve(db) as url, sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        pg = b.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
        pg.set_default_timeout(60_000)
        pg.goto(f"{url}/imports", wait_until="domcontentloaded")
        _rendered(pg)
        yield pg
        b.close()


def settled(page) -> None:
    """Wait for the rerun a widget change started to finish (the status widget shows while it runs)."""
    page.wait_for_timeout(500)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000)


def shows(page, text: str) -> str:
    """Wait until the page shows ``text``; the page's text."""
    from playwright.sync_api import expect

    main = page.locator('[data-testid="stMainBlockContainer"]')
    try:
        expect(main).to_contain_text(text, timeout=60_000)
    except AssertionError:
        shot(page, "failed")
        raise
    return main.inner_text()


def widget(page, column: str, part: str):
    return page.locator(f'[class*="-tickets--col-{column}-{part}"]').first


def choose(page, column: str, headers: list[str]) -> None:
    box = widget(page, column, "from")
    box.scroll_into_view_if_needed()
    box.locator("input").click()
    for h in headers:
        page.keyboard.type(h)
        page.keyboard.press("Enter")
        settled(page)
    page.keyboard.press("Escape")


def fill(page, column: str, part: str, text: str) -> None:
    box = widget(page, column, part).locator("input")
    box.scroll_into_view_if_needed()
    box.fill(text)
    box.press("Enter")
    settled(page)


def upload(page, name: str) -> None:
    page.get_by_role("tab", name="映射向导").click()
    page.locator('[role="tabpanel"]:visible input[type=file]').first.set_input_files(str(V / name))
    settled(page)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"wizard_{name}.png"), full_page=True)


def test_map_save_load_then_reuse_the_profile(page):
    upload(page, "english_calls.csv")
    shows(page, "缺少必需的列")          # only Call Id is known so far
    choose(page, "created_at", ["Date", "Time"])
    fill(page, "created_at", "format", "%d/%m/%Y %H:%M:%S")
    fill(page, "channel", "value", "phone")
    page.get_by_text("其他", exact=False).filter(has_text="列").first.click()
    settled(page)
    choose(page, "call_result", ["Answered (Y/N)"])
    choose(page, "ring_seconds", ["Speed of answer in seconds"])
    choose(page, "talk_seconds", ["AvgTalkDuration"])
    choose(page, "agent_name", ["Agent"])
    text = shows(page, "前 8 行的解析结果（拒收 0 行")
    assert "Traceback" not in text
    shot(page, "mapped")
    name = page.get_by_label("方案名称").first
    name.fill("English call log")
    name.press("Enter")
    settled(page)
    page.get_by_role("button", name="保存为映射方案").click()
    shows(page, "已保存映射方案「English call log」")
    page.get_by_role("button", name="用此映射导入").click()
    shows(page, "读取 8 行，新增 8")
    shot(page, "loaded")

    # the same vendor's next export: kind and profile recognised, nothing to edit, load
    upload(page, "english_calls_nov.csv")
    shows(page, "前 3 行的解析结果（拒收 0 行")
    assert page.locator('[class*="st-key-wiz-profile-"] input').first.input_value() == "English call log"
    page.get_by_role("button", name="用此映射导入").click()
    text = shows(page, "english_calls_nov.csv [tickets]: 读取 3 行，新增 3")
    assert "Traceback" not in text
    shot(page, "second_file")
