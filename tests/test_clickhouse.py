"""ClickHouse as a warehouse (issue 21): the connection factory (``chdb://`` in process), the schema
with ClickHouse's engines, ``python -m warehouse copy`` between the three engines, loads straight into
ClickHouse (staged, committed by one step: ``warehouse/staging.py``; the SIGKILL tests are in
``test_atomic.py``), the KPI matrix and every page.

chDB opens one folder per process: each test disposes its chDB warehouse before the next opens one.
"""
from __future__ import annotations

from datetime import date, datetime
import itertools
import math

import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import FIXTURES, ROOT
import extreme
from loaders import load_file
from metrics import DEFAULTS, Filters, Scope, compute, rollups
from metrics.months import normalise
from metrics.query import plan, resolve_kpis
from warehouse import SCHEMA_VERSION, TABLES, open_warehouse, staging
from warehouse.copy import SKIPPED, copy_warehouse
from warehouse.errors import WarehouseError
from warehouse.__main__ import main
from warehouse.clickhouse import clear_month, cluster_ddl, rewrite, rollup_ddl, table_ddl
from warehouse.schema import EVENTS, KEYS, metadata
from test_rollups import DIM_SETS, FILTERS, SCOPES
from ui import data
from ui.router import PAGES

M = FIXTURES / "metrics"
KINDS = ("roster", "tickets", "callbacks", "sales", "complaints", "stores", "store_targets", "store_audits",
         "inventory_snapshots", "receivables")


def _rows(wh, name: str) -> list[str]:
    """A table's rows, as comparable text, in a fixed order (engines return rows in their own)."""
    q = "`" if wh.is_clickhouse else '"'
    cols = ", ".join(f"{q}{c.name}{q}" for c in TABLES[name].columns)
    with wh.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT {cols} FROM {name}")).all()
    return sorted(repr(tuple(None if v is None else (round(v, 9) if isinstance(v, float) else str(v)) for v in r))
                  for r in rows)


def _figures(wh) -> dict:
    """Every KPI for October 2026 by team, from the facts: {(team, kpi): (value, numerator, denominator)}."""
    df = compute(wh, None, months=["2026-10"], dims=("team",), scope=Scope.all())
    clean = lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), 9)  # noqa: E731
    return {(r.team, r.kpi): (clean(r.value), clean(r.numerator), clean(r.denominator)) for r in df.itertuples()}


@pytest.fixture
def chdb_url(tmp_path):
    return f"chdb://{tmp_path / 'clickhouse'}"


def test_chdb_warehouse_schema(chdb_url, tmp_path):
    wh = open_warehouse(chdb_url)
    try:
        assert wh.is_clickhouse and wh.data_version() == 0
        with wh.connect() as conn:
            names = set(sa.inspect(conn).get_table_names())
            assert set(TABLES) <= names
            assert conn.execute(sa.text("SELECT version FROM schema_version")).scalar() == SCHEMA_VERSION
            engine, partition, sorting = conn.execute(sa.text(
                "SELECT engine, partition_key, sorting_key FROM system.tables "
                "WHERE database = currentDatabase() AND name = 'tickets'")).one()
            # a re-export's row replaces the older one by natural key; months are partitions
            assert engine == "ReplacingMergeTree" and "created_at" in partition and sorting.strip("()") == ", ".join(KEYS["tickets"])
            indexes = {r[0] for r in conn.execute(sa.text(
                "SELECT name FROM system.data_skipping_indices WHERE database = currentDatabase() AND table = 'tickets'"))}
            assert {"ix_region", "ix_store", "ix_team"} <= indexes
            log_engine = conn.execute(sa.text(
                "SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = 'load_log'")).scalar()
            assert log_engine == "MergeTree"
        # a second folder in the same process is refused by name (chDB's one-engine rule)
        with pytest.raises(WarehouseError) as refused:
            open_warehouse(f"chdb://{tmp_path / 'other'}")
        assert "other" in str(refused.value) and "clickhouse" in str(refused.value)
    finally:
        wh.dispose()
    again = open_warehouse(chdb_url)   # reopening finds the schema in force and changes nothing
    try:
        assert again.data_version() == 0
    finally:
        again.dispose()


def test_copy_duckdb_postgres_chdb_and_back(tmp_path, pg_server, chdb_url):
    """DuckDB → PostgreSQL → chDB → DuckDB: every table the same rows at every stop, and the same
    figures from the copies as from the original."""
    original = open_warehouse(str(tmp_path / "original.duckdb"))
    for kind in KINDS:
        assert load_file(original, kind, M / f"{kind}.csv").rows_rejected == 0
    tables = [n for n in TABLES if n not in SKIPPED]
    expected = {n: _rows(original, n) for n in tables}
    assert sum(map(len, expected.values())) > 80   # the fixtures are there to be copied
    figures = _figures(original)

    pg = open_warehouse(pg_server.create_database())
    copied = copy_warehouse(original, pg)
    assert copied == {n: len(expected[n]) for n in tables}
    assert {n: _rows(pg, n) for n in tables} == expected
    assert _figures(pg) == figures

    ch = open_warehouse(chdb_url)
    try:
        copy_warehouse(pg, ch)
        assert {n: _rows(ch, n) for n in tables} == expected
        back = open_warehouse(str(tmp_path / "back.duckdb"))
        copy_warehouse(ch, back)
    finally:
        ch.dispose()
    assert {n: _rows(back, n) for n in tables} == expected
    assert _figures(back) == figures
    for wh in (original, pg, back):
        wh.dispose()


def test_copy_refuses_a_target_with_data(tmp_path, capsys):
    source = open_warehouse(str(tmp_path / "a.duckdb"))
    load_file(source, "roster", M / "roster.csv")
    target = open_warehouse(str(tmp_path / "b.duckdb"))
    load_file(target, "roster", M / "roster.csv")
    with pytest.raises(WarehouseError) as refused:
        copy_warehouse(source, target)
    assert "roster" in str(refused.value) and "load_log" in str(refused.value)
    source.dispose()
    target.dispose()
    # the command line says so on stderr, exit 2, in the language asked
    assert main(["--lang", "en", "copy", "--from", str(tmp_path / "a.duckdb"), "--to", str(tmp_path / "b.duckdb")]) == 2
    assert "already holds rows (load_log、roster)" in capsys.readouterr().err


def test_copy_command_line_to_chdb(tmp_path, chdb_url, capsys):
    source = open_warehouse(str(tmp_path / "a.duckdb"))
    load_file(source, "roster", M / "roster.csv")
    load_file(source, "tickets", M / "tickets.csv")
    source.dispose()
    assert main(["copy", "--from", str(tmp_path / "a.duckdb"), "--to", chdb_url]) == 0
    out = capsys.readouterr().out
    assert "tickets：26 行" in out and "已复制" in out and "python -m metrics rollups build" in out
    ch = open_warehouse(chdb_url)
    try:
        with ch.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM tickets")).scalar() == 26
            assert conn.execute(sa.text("SELECT count(*) FROM load_log")).scalar() == 2
    finally:
        ch.dispose()


def _same(duck, ch, months, dims, scope=Scope.all(), filters=None) -> int:
    """DuckDB's and chDB's figures (from the facts: no roll-ups on ClickHouse yet) are the same
    numerators and denominators, group by group; returns how many figures were compared."""
    kw = dict(months=months, dims=dims, scope=scope, filters=filters or Filters())
    a = compute(duck, None, use_rollups=False, **kw)
    keys = [*(d for d in a.columns if d in dims), "kpi"]
    index = lambda df: {tuple(r[k] for k in keys): r for r in df.to_dict("records")}  # noqa: E731
    ia = index(a)
    for use_rollups in (True, False):   # chDB's roll-ups where one answers, and its facts
        ib = index(compute(ch, None, use_rollups=use_rollups, **kw))
        assert set(ia) == set(ib), (dims, scope, filters, set(ia) ^ set(ib))
        for key, ra in ia.items():
            rb = ib[key]
            for part in ("numerator", "denominator"):
                x, y = ra[part], rb[part]
                if x is None or (isinstance(x, float) and math.isnan(x)):
                    assert y is None or (isinstance(y, float) and math.isnan(y)), (key, part, x, y, dims, scope)
                else:
                    assert float(y) == pytest.approx(float(x), rel=1e-12, abs=1e-9), (key, part, x, y, dims, scope)
            assert ra["pending"] == rb["pending"], key
    return len(ia)


def test_every_kpi_dimension_scope_and_filter_is_identical_on_chdb(tmp_path, chdb_url):
    """The metric builder's SQL, unchanged, on ClickHouse: the KPI × dimension × scope × filter matrix
    of the roll-up test, from DuckDB's facts and from chDB's roll-ups and facts, the same numerators and
    denominators."""
    duck = open_warehouse(str(tmp_path / "duck.duckdb"))
    for kind in KINDS:
        load_file(duck, kind, M / f"{kind}.csv")
    ch = open_warehouse(chdb_url)
    try:
        copy_warehouse(duck, ch)
        rollups.build(ch)   # the roll-ups, built on ClickHouse by the same definitions
        assert rollups.is_current(ch)
        with ch.connect() as conn:
            stored = rollups.current(conn)
        read = {q.rollup for q in plan(resolve_kpis(None, ()), months=normalise(["2026-10"]), dims=(),
                                       filters=Filters(), scope=Scope.all(), settings=DEFAULTS, stored=stored)}
        assert "rollup_tickets_org" in read and "rollup_buyers_by_all" in read   # they are what is read
        compared = 0
        for i, dims in enumerate(DIM_SETS):
            compared += _same(duck, ch, ["2026-10"] if i % 2 else ["2026-09", "2026-10"], dims,
                              scope=SCOPES[i % len(SCOPES)], filters=FILTERS[i % len(FILTERS)])
        for scope, filters in itertools.product(SCOPES, FILTERS):
            compared += _same(duck, ch, ["2026-09", "2026-10", "2026-11"], ("month", "store"), scope=scope, filters=filters)
        # two values of one level: the buyers from the level roll-ups corrected by the crossing customers
        two = Filters.of(region=["华东", "华南"])
        crossing = {q.rollup for q in plan(resolve_kpis(None, ()), months=normalise(["2026-10"]), dims=(), filters=two,
                                           scope=Scope.all(), settings=DEFAULTS, stored=stored)}
        assert "rollup_buyers_by_region+rollup_buyers_cross_region" in crossing
        compared += _same(duck, ch, ["2026-10"], (), filters=two)
        compared += _same(duck, ch, ["2026-09", "2026-10"], ("month",), filters=two)
        compared += _same(duck, ch, ["2026-08", "2026-10"], ("month", "region"))
        compared += _same(duck, ch, ["2024-12", "2025-06", "2026-10"], ("month", "team"))
        assert compared > 2_000
    finally:
        ch.dispose()
        duck.dispose()


def test_rewrites_for_clickhouse():
    """Each rewrite rule, and a time or date parameter typed where it is used."""
    sql = "SELECT first_ever + CAST(%(returning_days)s AS INTEGER) * INTERVAL '1 day' FROM t WHERE m >= %(start)s AND d = %(day)s"
    out = rewrite(sql, {"returning_days": 30, "start": datetime(2026, 10, 1), "day": date(2026, 10, 1)})
    assert out == ("SELECT first_ever + toIntervalDay(CAST(%(returning_days)s AS Int64)) FROM t "
                   "WHERE m >= toDateTime64(%(start)s, 6, 'UTC') AND d = toDate32(%(day)s)")
    assert rewrite("SELECT 1", None) == "SELECT 1"


def test_every_page_renders_on_chdb_with_duckdbs_figures(tmp_path, chdb_url, monkeypatch):
    """``CSDASH_DB=chdb://…``: every page through the router without an exception or error, and the
    overview's cards the same as on DuckDB."""
    duck_db = str(tmp_path / "duck.duckdb")
    duck = open_warehouse(duck_db)
    for kind in KINDS:
        load_file(duck, kind, M / f"{kind}.csv")
    ch = open_warehouse(chdb_url)
    copy_warehouse(duck, ch)
    ch.dispose()
    duck.dispose()

    def run(db, page=None):
        monkeypatch.setenv("CSDASH_DB", db)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.query_params["from"] = at.query_params["to"] = "2026-10"
        at.run()
        if page:
            at.switch_page(page)
            at.run()
        assert not at.exception, (page, [e.value for e in at.exception])
        return at

    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        on_duck = {m.label: (m.value, m.delta) for m in run(duck_db).metric}
        on_ch = {m.label: (m.value, m.delta) for m in run(chdb_url).metric}
        assert len(on_ch) >= 15 and on_ch == on_duck
        for page, *_ in PAGES:
            at = run(chdb_url, page)
            assert at.title and not at.error, (page, [e.value for e in at.error])
    finally:
        data._warehouse(chdb_url).dispose()   # chDB's folder is free for the next test
        st.cache_data.clear()
        st.cache_resource.clear()


def _report(r) -> tuple:
    return (r.status, r.rows_read, r.rows_inserted, r.rows_replaced, r.rows_rejected, r.rows_resolved, r.orphans,
            r.rows_skipped, r.load_id, [str(n) for n in r.notes], [str(w) for w in r.warnings])


def _staged(wh) -> list[str]:
    with wh.connect() as conn:
        return [r[0] for r in conn.execute(sa.text(
            "SELECT name FROM system.tables WHERE database = currentDatabase() AND startsWith(name, '_')"))]


MOVED_HEADER = "话单ID,来电时间,渠道,通话结果,座席工号,振铃时长,通话时长\n"


def test_loads_into_chdb_are_duckdbs_loads(tmp_path, chdb_url):
    """Every kind, then re-exports, rejects and their resolution, straight into chDB: the same reports,
    the same rows in every table (rejects included), the same figures, the roll-ups current, no key
    twice and no private table left behind."""
    # a re-export that moves the only ticket of August into September: August's partition empties
    aug = tmp_path / "aug.csv"
    aug.write_text(MOVED_HEADER + "A1,2026-08-20 10:00:00,电话,已接听,1001,5,60\n", encoding="utf-8")
    moved = tmp_path / "moved.csv"
    moved.write_text(MOVED_HEADER + "A1,2026-09-02 10:00:00,电话,已接听,1001,5,90\n", encoding="utf-8")
    sequence = [(kind, M / f"{kind}.csv") for kind in KINDS] + [
        ("tickets", FIXTURES / "tickets_basic.csv"),       # three rejects
        ("tickets", FIXTURES / "tickets_reexport.csv"),    # replaces a row
        ("callbacks", FIXTURES / "callbacks_basic.csv"),   # a reject and an orphan
        ("tickets", FIXTURES / "tickets_reexport.csv"),    # the same file again: a no-op
        ("tickets", aug), ("tickets", moved)]
    duck = open_warehouse(str(tmp_path / "duck.duckdb"))
    ch = open_warehouse(chdb_url)
    try:
        for wh in (duck, ch):
            rollups.build(wh)
        for kind, path in sequence:
            on_duck, on_ch = (_report(load_file(wh, kind, path)) for wh in (duck, ch))
            assert on_ch == on_duck, path.name
        assert _report(load_file(ch, "tickets", FIXTURES / "tickets_reexport.csv"))[0] == "duplicate"
        for name in [*KINDS, "rejects"]:
            assert _rows(ch, name) == _rows(duck, name), name
        with ch.connect() as conn:
            log = conn.execute(sa.text("SELECT load_id, kind, file_name, rows_inserted, rows_replaced, rows_rejected "
                                       "FROM load_log ORDER BY load_id")).all()
            key = ", ".join(KEYS["tickets"])
            total, distinct = conn.execute(sa.text(f"SELECT count(), uniqExact({key}) FROM tickets")).one()
            months = {r[0] for r in conn.execute(sa.text("SELECT DISTINCT _partition_id FROM tickets"))}
        with duck.connect() as conn:
            assert log == conn.execute(sa.text("SELECT load_id, kind, file_name, rows_inserted, rows_replaced, "
                                               "rows_rejected FROM load_log ORDER BY load_id")).all()
        assert len(log) == len(sequence) - 1 and total == distinct   # (one duplicate); never a key twice
        assert "202608" not in months and "202609" in months     # the emptied month is gone
        resolved = [r for r in _rows(ch, "rejects") if "None')" not in r]
        assert _figures(ch) == _figures(duck)
        assert rollups.is_current(ch) and rollups.is_current(duck)
        assert _staged(ch) == []
        assert resolved == [r for r in _rows(duck, "rejects") if "None')" not in r]
    finally:
        ch.dispose()
        duck.dispose()


def test_a_claimed_load_id_is_refused_and_stale_claims_are_rolled_back(chdb_url):
    """Two loaders reaching the same load id: the second is refused by name.  A server's recovery leaves
    a live claim alone; the owner of a chDB folder rolls back every claim that never committed."""
    wh = open_warehouse(chdb_url)
    try:
        with wh.connect() as conn:
            first = staging.StagedLoad.begin(conn, 7)
            first.stage("tickets")
            with pytest.raises(WarehouseError) as busy:
                staging.StagedLoad.begin(conn, 7)
            assert busy.value.code == "warehouse.load_busy" and "7" in busy.value.render("en")
            assert staging.recover(conn, roll_back_all=False) == []      # another host's live load
            assert set(_staged(wh)) == {"_journal_7", "_stage_7_tickets"}
            assert staging.recover(conn, roll_back_all=True) == [("rolled_back", 7)]
        assert _staged(wh) == [] and wh.data_version() == 0
    finally:
        wh.dispose()


def test_cluster_ddl_shards_the_data_tables_by_store(chdb_url, capsys):
    """Stage 3: every data table a local table on each node (the single-node DDL) under a
    ``Distributed`` table of its own name sharded by store (or by its key when it has no store); every
    other table on every node.  No cluster runs here: each statement is parsed by ClickHouse itself."""
    ddl = cluster_ddl("chain", metadata.sorted_tables, KEYS, EVENTS)
    distributed = {s.split("`")[1]: s for s in ddl if "ENGINE = Distributed" in s}
    assert set(distributed) == set(KEYS)
    assert "cityHash64(assumeNotNull(`store`))" in distributed["tickets"] and "`tickets_local`" in distributed["tickets"]
    assert "cityHash64(assumeNotNull(`store`))" in distributed["sales"]
    assert "cityHash64(assumeNotNull(`callback_id`))" in distributed["callbacks"]   # no store column
    local = next(s for s in ddl if s.startswith("CREATE TABLE IF NOT EXISTS `tickets_local`"))
    single = table_ddl(TABLES["tickets"], KEYS["tickets"], EVENTS["tickets"])
    assert local.replace("`tickets_local` ON CLUSTER `chain`", "`tickets`") == single   # one declaration
    assert len(ddl) == len(TABLES) + len(KEYS) and all(" ON CLUSTER `chain` " in s for s in ddl)
    wh = open_warehouse(chdb_url)
    try:
        with wh.connect() as conn:
            for statement in ddl:
                assert conn.exec_driver_sql("EXPLAIN AST " + statement).all()
    finally:
        wh.dispose()
    assert main(["cluster-ddl", "--cluster", "chain"]) == 0
    assert capsys.readouterr().out.count(";\n") == len(ddl)
    assert main(["--lang", "en", "cluster-ddl", "--cluster", "x;DROP"]) == 2
    assert "invalid cluster name" in capsys.readouterr().err


def test_extreme_values_load_into_chdb_as_into_duckdb(tmp_path, chdb_url):
    """The extreme-value warehouse (32,767-character names, formulas, Markdown and HTML as names,
    control and bidi characters, the earliest and latest plausible times, a ¥1,000,000,000 order)
    loaded straight into chDB: every table the same rows as DuckDB's, the same figures, its whole
    span of months in the roll-ups."""
    duck = open_warehouse(str(tmp_path / "duck.duckdb"))
    extreme.build(duck, tmp_path / "files")
    ch = open_warehouse(chdb_url)
    try:
        extreme.build(ch, tmp_path / "files")
        for name in [n for n in TABLES if n not in SKIPPED and n != "load_log"]:
            assert _rows(ch, name) == _rows(duck, name), name
        assert _figures(ch) == _figures(duck) and rollups.is_current(ch)
        first, last = extreme.months()
        span = [first, last]
        on_ch, on_duck = (compute(wh, ["contacts", "revenue"], months=span, dims=("month",), scope=Scope.all())
                          for wh in (ch, duck))
        assert on_ch.reset_index(drop=True).equals(on_duck.reset_index(drop=True)) and len(on_ch) >= 2
    finally:
        ch.dispose()
        duck.dispose()


def test_a_rollup_month_is_cleared_by_its_partition_or_else_deleted(chdb_url):
    """A roll-up month is rebuilt by dropping its partition; a roll-up table made before roll-ups were
    partitioned is deleted from instead (dropping a partition there would silently drop nothing)."""
    wh = open_warehouse(chdb_url)
    try:
        with wh.connect() as conn:
            conn.exec_driver_sql(rollup_ddl("r_new", [("month", "Nullable(Date32)"), ("v", "Int64")], ()))
            conn.exec_driver_sql("CREATE TABLE r_old (month Nullable(Date32), v Int64) ENGINE = MergeTree "
                                 "ORDER BY tuple()")
            for name in ("r_new", "r_old"):
                conn.exec_driver_sql(f"INSERT INTO {name} VALUES ('2026-09-01', 1), ('2026-10-01', 2), ('2026-10-01', 3)")
                clear_month(conn, name, date(2026, 10, 1))
                assert conn.exec_driver_sql(f"SELECT month, v FROM {name}").all() == [(date(2026, 9, 1), 1)], name
    finally:
        wh.dispose()
