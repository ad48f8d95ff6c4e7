"""The 月度复盘 page through the router (AppTest) on the metric fixture warehouse."""
from metrics import Scope
from reports.pack import PackScope, open_pack
from test_app import OCTOBER, app, fixture_db, fresh_caches  # noqa: F401 - fixtures
from warehouse import open_warehouse

PAGE = "pages/review.py"


def test_create_comment_and_download(fixture_db, monkeypatch):
    at = app(fixture_db, monkeypatch, PAGE, **OCTOBER)
    assert any("还没有复盘材料" in i.value for i in at.info)
    at.button(key="rv.create").click().run()
    assert not at.exception, [e.value for e in at.exception]
    frames = [d.value for d in at.dataframe]
    summary = next(f for f in frames if "指标" in f.columns)
    assert summary.set_index("指标").loc["接通率", "本月"] == "77.8%"
    # the documents are built only when asked for: two buttons, then each one's download
    assert not at.get("download_button")
    at.button(key="rv.make.pdf").click().run()
    at.button(key="rv.make.xlsx").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    labels = {b.label for b in at.get("download_button")}
    assert {"下载 PDF", "下载 Excel"} <= labels
    at.text_area(key=next(k.key for k in at.text_area if k.key.endswith(".calls"))).input("早高峰排班需调整").run()
    at.button(key=next(b.key for b in at.button if b.key and b.key.endswith(".calls") and "save" in b.key)).click().run()
    assert not at.exception
    at.run()   # a new comment makes the built documents stale: they are offered for building again
    assert not at.get("download_button") and {"rv.make.pdf", "rv.make.xlsx"} <= {b.key for b in at.button}
    wh = open_warehouse(fixture_db)
    pack = open_pack(wh, "2026-10", PackScope(), viewer=Scope.all())
    from reports.pack import comments

    assert comments(wh, pack.pack_id)["calls"] == "早高峰排班需调整"
    wh.dispose()


def test_region_pack_and_english(fixture_db, monkeypatch):
    at = app(fixture_db, monkeypatch, PAGE, lang="en", **OCTOBER)
    assert at.title[0].value == "Monthly review"
    at.selectbox(key="rv.level").set_value("region").run()
    at.selectbox(key="rv.value.region").set_value("华东").run()
    at.button(key="rv.create").click().run()
    assert not at.exception, [e.value for e in at.exception]
    cells = " ".join(str(v) for d in at.dataframe for v in d.value.astype(str).to_numpy().ravel())
    assert "华南" not in cells and "广州店" not in cells


def test_a_document_that_fails_says_so_and_the_other_still_downloads(fixture_db, monkeypatch):
    import ui.review

    def boom(*_a, **_k):
        raise ValueError("row too high")

    monkeypatch.setattr(ui.review, "write_pdf", boom)
    at = app(fixture_db, monkeypatch, PAGE, **OCTOBER)
    if any(b.key == "rv.create" for b in at.button):   # an earlier test of the module may have created it
        at.button(key="rv.create").click().run()
    at.button(key="rv.make.pdf").click().run()
    assert not at.exception
    assert any("PDF生成失败" in e.value and "ValueError" in e.value for e in at.error)
    at.button(key="rv.make.xlsx").click().run()
    assert [b.label for b in at.get("download_button")] == ["下载 Excel"]
