"""Hardening that is not a file: many sessions on one DuckDB file, text from data shown as text,
scratch litter, who acted."""
from __future__ import annotations

import os
import threading
import time

import sqlalchemy as sa

from ui.text import md, plain
from warehouse import open_warehouse


def test_many_threads_share_one_duckdb_file(tmp_path):
    """Ten sessions of one app process querying at once: opening the file anew per query raced
    ("Unique file handle conflict … already attached"); one shared instance per file does not."""
    db = str(tmp_path / "w.duckdb")
    open_warehouse(db).dispose()
    errors: list[str] = []

    def session():
        for _ in range(120):
            try:
                wh = open_warehouse(db, create=False)
                with wh.connect() as conn:
                    conn.execute(sa.text("SELECT count(*) FROM range(20000)")).scalar()
            except Exception as exc:   # noqa: BLE001 - the test counts every failure
                errors.append(repr(exc)[:200])

    threads = [threading.Thread(target=session) for _ in range(10)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    # and the file is free once they are done: another process (a CLI load) may write it
    import duckdb

    duckdb.connect(db).close()


def test_markdown_and_html_from_data_are_literal():
    j = "\u2060"   # a word joiner breaks what GFM would autolink after escapes are resolved
    assert md("[x](http://e.example)![b](http://h/b.png)") == (
        rf"\[x\]\(http\:{j}//e\.example\)\!\[b\]\(http\:{j}//h/b\.png\)")
    assert md("www.evil.example a@b.example") == rf"w{j}ww\.evil\.example a@{j}b\.example"
    assert md("# 标题\n- 列表 :material/home: $x$ **粗**") == (r"\# 标题 \- 列表 \:material/home\: \$x\$ \*\*粗\*\*")
    assert md("\u202eevil\x00") == "evil" and md(None) == ""
    assert plain('<a href="x">区</a>') == '&lt;a href="x"&gt;区&lt;/a&gt;'


def test_stale_scratch_is_swept(tmp_path):
    from loaders.readers import SCRATCH_PREFIX, sweep_stale_scratch

    old, new = tmp_path / f"{SCRATCH_PREFIX}scratch-old", tmp_path / f"{SCRATCH_PREFIX}scratch-new"
    for d in (old, new):
        d.mkdir()
        (d / "scratch.duckdb").write_bytes(b"x" * 10)
    other = tmp_path / f"{SCRATCH_PREFIX}pg-cluster"          # not the loader's: left alone
    other.mkdir()
    week_ago = time.time() - 7 * 86400
    for p in (old, other):
        os.utime(p, (week_ago, week_ago))
    assert sweep_stale_scratch(folder=str(tmp_path)) == 1
    assert not old.exists() and new.exists() and other.exists()


def test_loads_leave_no_scratch(tmp_path, monkeypatch):
    """Every exit path (loaded, refused, rejected in strict mode) removes its scratch."""
    import tempfile

    from loaders import LoadError, load_file

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    wh = open_warehouse(str(tmp_path / "w.duckdb"))
    good = tmp_path / "good.csv"
    good.write_text("话单ID,来电时间,渠道\nT1,2026-10-01,在线\nT2,不是时间,在线\n", encoding="utf-8")
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("话单ID,来电时间,渠道\nT1,2026-10-01,在线\n".encode("gbk"))
    bad = tmp_path / "bad.csv"
    bad.write_text("甲,乙\n1,2\n", encoding="utf-8")
    load_file(wh, "tickets", good, user="t")
    load_file(wh, "tickets", gbk, user="t")
    for path, strict in ((bad, False), (good, True)):
        try:
            load_file(wh, "tickets", path, user="t", strict=strict, file_name=f"{path.name}{strict}")
        except LoadError:
            pass
    assert list(scratch.iterdir()) == []
    wh.dispose()


def test_settings_changes_record_who_acted(tmp_path, monkeypatch):
    from metrics import save_settings
    from warehouse.db import actor

    monkeypatch.setenv("CSDASH_USER", "王经理")
    assert actor() == "王经理"
    wh = open_warehouse(str(tmp_path / "w.duckdb"))
    save_settings(wh, {"ring_cycle_seconds": 6}, user=actor())
    with wh.connect() as conn:
        assert conn.execute(sa.text("SELECT updated_by FROM settings")).scalars().all() == ["王经理"]
    wh.dispose()


def test_huge_amounts_read_in_yi():
    from texts import fmt

    assert fmt.value(1_000_000_000, "yuan", "zh") == "¥10.00亿" and fmt.value(1_000_000_000, "yuan", "en") == "¥1.00B"
    assert fmt.value(640, "yuan", "zh") == "¥640.00" and fmt.value(123_456, "yuan", "zh") == "¥12.3万"
    assert fmt.value(250_000_000, "count", "zh") == "2.50亿"


def test_readme_lists_every_limit():
    """One declaration (loaders/limits.py), documented: a limit added there must reach the README."""
    from conftest import ROOT
    from loaders.limits import LIMITS, limit

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [lim.name for lim in LIMITS if f"`CSDASH_LIMIT_{lim.name.upper()}`" not in text]
    assert missing == []
    assert limit("max_columns") == 1000


def test_a_limit_is_a_setting(monkeypatch):
    from datetime import date

    from loaders.limits import date_window, limit

    monkeypatch.setenv("CSDASH_LIMIT_MIN_DATE", "1985-06-01")
    monkeypatch.setenv("CSDASH_LIMIT_MAX_COLUMNS", "50")
    assert date_window(date(2026, 12, 1)) == (date(1985, 6, 1), date(2027, 12, 2)) and limit("max_columns") == 50


def test_one_set_of_control_characters_everywhere():
    """The loader (RE2 in DuckDB), the pages and the documents drop the same characters."""
    import duckdb

    from loaders.casts import CONTROL_CHARS
    from reports.render import shorten
    from warehouse.safety import CONTROL_RANGES

    every = "".join(chr(c) for a, b in CONTROL_RANGES for c in range(a, b + 1))
    sample = f"a{every}b\tc"
    in_sql = duckdb.connect().execute("SELECT regexp_replace(?, ?, '', 'g')", [sample, CONTROL_CHARS]).fetchall()[0][0]
    assert in_sql == "ab\tc" and shorten(sample, 100) == "ab\tc" and md(sample) == "ab c"
