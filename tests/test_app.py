"""The app through its router, on an empty and on a loaded warehouse."""
import pytest
from streamlit.testing.v1 import AppTest

from conftest import FIXTURES, ROOT
from loaders import load_file
from warehouse import open_warehouse


@pytest.fixture(autouse=True)
def fresh_caches():
    import streamlit as st
    st.cache_data.clear()
    st.cache_resource.clear()


def run_app(db, monkeypatch):
    monkeypatch.setenv("CSDASH_DB", db)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_empty_warehouse_points_to_loading(tmp_path, monkeypatch):
    at = run_app(str(tmp_path / "empty.duckdb"), monkeypatch)
    assert "仓库还是空的" in at.info[0].value


def test_counts_and_load_log(tmp_path, monkeypatch):
    db = str(tmp_path / "w.duckdb")
    wh = open_warehouse(db)
    load_file(wh, "roster", FIXTURES / "roster.csv")
    load_file(wh, "tickets", FIXTURES / "tickets_basic.csv")
    at = run_app(db, monkeypatch)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["工单/通话"] == "7" and metrics["人员名单"] == "3" and metrics["拒收行"] == "4"
    log = at.dataframe[0].value
    assert list(log["文件"]) == ["tickets_basic.csv", "roster.csv"]
    # a load from elsewhere shows on the next rerun, without a restart
    load_file(wh, "tickets", FIXTURES / "tickets_reexport.csv")
    at.run()
    assert {m.label: m.value for m in at.metric}["工单/通话"] == "8"
