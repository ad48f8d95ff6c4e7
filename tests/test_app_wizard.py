"""The import wizard through the router (AppTest): an English-header call log mapped from scratch,
its first rows previewed with their reasons, saved as a profile and loaded; then a second file of
the same vendor is recognised by the profile and loads with no edits (issue 15)."""
import shutil

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from conftest import FIXTURES, ROOT
from warehouse import open_warehouse

V = FIXTURES / "vendor"


@pytest.fixture(autouse=True)
def fresh_caches():
    import streamlit as st
    st.cache_data.clear()
    st.cache_resource.clear()


def opened(db, monkeypatch, tmp_path, name):
    """The import page with ``name`` as the wizard's file (what its uploader keeps in the session)."""
    monkeypatch.setenv("CSDASH_DB", db)
    path = tmp_path / name
    shutil.copy(V / name, path)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    at.switch_page("pages/imports.py")
    at.session_state["wiz.file"] = {"id": name, "name": name, "path": str(path)}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def ok(at):
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def preview(at):
    """The wizard's preview table: the one with each row's line and reject reason."""
    return next(d.value for d in at.dataframe if {"line_no", "reason"} <= set(d.value.columns)
                and "raw_row" not in d.value.columns)


def count(db, sql):
    wh = open_warehouse(db)
    try:
        with wh.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()
    finally:
        wh.dispose()


def test_map_an_english_log_from_scratch_save_and_reuse(tmp_path, monkeypatch):
    db = str(tmp_path / "w.duckdb")
    at = opened(db, monkeypatch, tmp_path, "english_calls.csv")
    fid = "english_calls.csv"
    at.selectbox(key=f"wiz.kind.{fid}").set_value("tickets")
    ok(at)
    p = f"wiz.{fid}.tickets.."
    # of the English header only "Call Id" is known (alias callid): the missing columns are said
    assert any("created\\_at" in w.value and "channel" in w.value for w in at.warning)
    assert at.multiselect(key=p + "col.ticket_id.from").value == ["Call Id"]
    at.multiselect(key=p + "col.ticket_id.from").set_value(["Call Id"])
    at.multiselect(key=p + "col.created_at.from").set_value(["Date", "Time"])
    at.text_input(key=p + "col.created_at.format").set_value("%d/%m/%Y %H:%M:%S")
    at.text_input(key=p + "col.channel.value").set_value("phone")
    at.multiselect(key=p + "col.call_result.from").set_value(["Answered (Y/N)"])
    ok(at)
    # the preview: 8 rows; the 5 answered ones have no wait figure yet → rejected, and loudly (≥ 20 %)
    rows = preview(at)
    assert len(rows) == 8 and rows["reason"].notna().sum() == 5
    assert any("62\\.5%" in w.value for w in at.warning)
    # the file's words and what they mean: Y/N are known; say N means voicemail, then back to missed
    assert at.selectbox(key=p + "word.call_result.Y").value == "answered"
    at.selectbox(key=p + "word.call_result.N").set_value("voicemail")
    at.multiselect(key=p + "col.ring_seconds.from").set_value(["Speed of answer in seconds"])
    at.multiselect(key=p + "col.talk_seconds.from").set_value(["AvgTalkDuration"])
    at.multiselect(key=p + "col.agent_name.from").set_value(["Agent"])
    ok(at)
    rows = preview(at)
    assert rows["reason"].isna().all() and str(rows["created_at"].iloc[3]).startswith("2026-10-13 11:30")
    assert set(rows["call_result"]) == {"answered", "voicemail"} and not at.warning
    at.selectbox(key=p + "word.call_result.N").set_value("missed")
    ok(at)
    assert set(preview(at)["call_result"]) == {"answered", "missed"}
    at.text_input(key=f"wiz.name.{fid}.tickets").set_value("English call log")
    at.button(key="wiz.save").click()
    ok(at)
    assert any("English call log" in s.value for s in at.success)
    assert count(db, "SELECT count(*) FROM mapping_profiles") == 1
    at.button(key="wiz.load").click()
    ok(at)
    assert count(db, "SELECT count(*) FROM tickets") == 8
    assert count(db, "SELECT count(*) FROM mapping_profiles WHERE last_used_at IS NOT NULL") == 1

    # a second file of the same vendor: kind and profile come from the profile, no edits, load
    at2 = opened(db, monkeypatch, tmp_path, "english_calls_nov.csv")
    assert at2.selectbox(key="wiz.kind.english_calls_nov.csv").value == "tickets"
    assert at2.selectbox(key="wiz.profile.english_calls_nov.csv.tickets").value == "English call log"
    assert preview(at2)["reason"].isna().all()
    at2.button(key="wiz.load").click()
    ok(at2)
    assert count(db, "SELECT count(*) FROM tickets") == 11
    assert not at2.error


def test_the_wizard_in_english_shows_no_chinese_outside_data(tmp_path, monkeypatch):
    """With a vendor file open: labels, hints, column rows, the preview and its notes in English."""
    import texts
    from english import data_words, leaks
    from test_english import shown_texts

    db = str(tmp_path / "w.duckdb")
    monkeypatch.setenv("CSDASH_DB", db)
    shutil.copy(V / "bank_calls.tsv", tmp_path / "bank_calls.tsv")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["lang"] = "en"
    at.run()
    at.switch_page("pages/imports.py")
    at.session_state["wiz.file"] = {"id": "b", "name": "bank_calls.tsv", "path": str(tmp_path / "bank_calls.tsv")}
    at.run()
    p = "wiz.b.tickets.."
    at.multiselect(key=p + "col.ticket_id.from").set_value(["vru+line", "call_id", "date"])
    at.multiselect(key=p + "col.created_at.from").set_value(["date", "vru_entry"])
    at.text_input(key=p + "col.created_at.format").set_value("%y%m%d %H:%M:%S")
    at.text_input(key=p + "col.channel.value").set_value("phone")
    at.multiselect(key=p + "col.call_result.from").set_value(["outcome"])
    at.multiselect(key=p + "col.agent_name.from").set_value(["server"])
    at.text_input(key=p + "col.agent_name.empty").set_value("NO_SERVER")
    at.multiselect(key=p + "col.queue_seconds.from").set_value(["q_time"])
    ok(at)
    for word, value in (("AGENT", "answered"), ("HANG", "missed"), ("PHANTOM", "not_offered")):
        at.selectbox(key=p + f"word.call_result.{word}").set_value(value)
    ok(at)
    assert preview(at)["reason"].isna().all()
    shown = shown_texts(at)
    assert any("answered calls have an agent not in the roster" in s for s in shown)
    assert leaks(shown, data_words(db) | set(texts.LANGS.values())) == []
