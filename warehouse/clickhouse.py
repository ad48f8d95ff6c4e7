"""ClickHouse as a warehouse (issue 21): what differs from DuckDB and PostgreSQL, in one place.

Two URLs reach it, through the SQLAlchemy dialect of ``clickhouse-connect`` (one connection
factory, ``warehouse.db.open_warehouse``):

- ``clickhousedb://user:password@host:8123/database`` — a ClickHouse server or cluster, over HTTP.
  No server runs here: that path is the dialect's own connection code, untested by this project.
- ``chdb://PATH`` — ClickHouse in this process (``chdb``), its data in the folder ``PATH``: for tests
  and single-machine trials.  clickhouse-connect runs it as its ``chdb`` interface.

The schema is the warehouse's own (``warehouse/schema.py``): the same tables and columns, every
column ``Nullable`` as in SQL, with what ClickHouse needs besides, chosen here:

- **data tables** (one per export kind): ``ReplacingMergeTree(load_id)`` ordered by the natural key,
  so a re-export's row replaces the older one at merge time (and a query reading ``FINAL`` never sees
  both); partitioned by the month of the kind's event time; the scope columns (region, store, team)
  get ``set`` skip indexes, so a scoped query reads only the granules of its regions and stores;
- **roll-up tables**: ``MergeTree`` sorted by month and the scope columns (``rollup_ddl``, created by
  the roll-ups);
- **the other tables** (load log, rejects, viewers, settings…): ``MergeTree`` with no sort key —
  small, appended to, read whole.

What the builder's SQL needs to mean the same here: ``SESSION_SETTINGS`` and ``REWRITES``
(``docs/scaling.md``).  Loads are made atomic without transactions in ``warehouse/staging.py``; a
cluster's DDL (data tables ``Distributed``, sharded by store) is ``cluster_ddl``.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
import re
from urllib.parse import quote

import pyarrow as pa
import sqlalchemy as sa

from warehouse.errors import WarehouseError

DIALECT = "clickhousedb"                 # clickhouse-connect's SQLAlchemy dialect name
CHDB_SCHEME = "chdb://"
SCOPE_COLUMNS = ("region", "store", "team")

# Session settings that make ClickHouse's SQL mean what the builder's SQL means on DuckDB and
# PostgreSQL: an outer join's missing side is NULL (not 0 or ''), CAST keeps a NULL a NULL
# (ClickHouse's CAST to a non-Nullable type refuses NULL), a bare UNION is UNION DISTINCT, and a name
# is the column's before it is an alias of the same SELECT (``SUM(revenue) AS revenue``).
SESSION_SETTINGS = {"join_use_nulls": 1, "cast_keep_nullable": 1, "union_default_mode": "DISTINCT",
                    "prefer_column_name_to_alias": 1}

# The builder's few constructs ClickHouse spells otherwise, rewritten as statements go out (the
# driver's placeholders are %(name)s).  Each rule has a test in tests/test_clickhouse.py.
REWRITES = (
    # n days as an interval: ClickHouse cannot multiply an integer by an interval
    (re.compile(r"CAST\((%\(\w+\)s) AS INTEGER\) \* INTERVAL '1 day'"), r"toIntervalDay(CAST(\1 AS Int64))"),
)


def is_clickhouse(url: str) -> bool:
    return url.startswith((CHDB_SCHEME, DIALECT))


# chDB runs one embedded engine per process, on one folder at a time (its own rule): the folder open
# now, so that a second one is refused by name instead of by the engine's error at first query
_chdb_open: dict[str, int] = {}


def claim_chdb(url: str) -> None:
    """Note that this process opens the chDB folder of ``url``; refuses a second folder while one is open."""
    if not url.startswith(CHDB_SCHEME):
        return
    other = next((u for u, n in _chdb_open.items() if n and u != url), None)
    if other is not None:
        raise WarehouseError("warehouse.chdb_one", open=other, asked=url)
    _chdb_open[url] = _chdb_open.get(url, 0) + 1


def release_chdb(url: str) -> None:
    if _chdb_open.get(url):
        _chdb_open[url] -= 1


def engine_url(url: str) -> str:
    """The SQLAlchemy URL for ``url``: ``chdb://PATH`` → the dialect's ``chdb`` interface with that
    folder (absolute); with the session settings either way."""
    settings = "&".join(f"{k}={v}" for k, v in SESSION_SETTINGS.items())
    if not url.startswith(CHDB_SCHEME):
        return url + ("&" if "?" in url else "?") + settings
    path = Path(url[len(CHDB_SCHEME):]).expanduser().absolute()
    path.mkdir(parents=True, exist_ok=True)
    return f"{DIALECT}://?interface=chdb&path={quote(str(path))}&{settings}"


def rewrite(statement: str, parameters) -> str:
    """A statement as ClickHouse runs it: ``REWRITES`` applied, and a time or date parameter typed where it
    is used (the driver inlines it as a string, which ClickHouse reads as the other side's type: a
    '2026-10-01 00:00:00' compared with a Date column fails)."""
    for pattern, replacement in REWRITES:
        statement = pattern.sub(replacement, statement)
    if isinstance(parameters, dict):
        for name, value in parameters.items():
            if isinstance(value, datetime):
                statement = statement.replace(f"%({name})s", f"toDateTime64(%({name})s, 6, 'UTC')")
            elif isinstance(value, date):
                statement = statement.replace(f"%({name})s", f"toDate32(%({name})s)")
    return statement


def install(engine: sa.Engine) -> None:
    """``rewrite`` on every statement of ``engine``."""
    @sa.event.listens_for(engine, "before_cursor_execute", retval=True)
    def _rewrite(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        return rewrite(statement, parameters), parameters


# A warehouse column's storage on the engines that need it spelled out: (SQLAlchemy type, ClickHouse
# type, Arrow type), first match wins (Double is a Numeric, DateTime before Date).  One row per kind of
# column; ``warehouse/copy.py`` reads the Arrow side.
STORAGE = (
    (sa.Boolean, lambda t: "Bool", lambda t: pa.bool_()),
    ((sa.Float, sa.Double), lambda t: "Float64", lambda t: pa.float64()),
    (sa.Numeric, lambda t: f"Decimal({t.precision or 18}, {t.scale or 0})",
     lambda t: pa.decimal128(t.precision or 18, t.scale or 0)),
    (sa.Integer, lambda t: "Int64", lambda t: pa.int64()),
    # naive local times stored as given: no server time zone moves them across a month's end
    (sa.DateTime, lambda t: "DateTime64(6, 'UTC')", lambda t: pa.timestamp("us")),
    (sa.Date, lambda t: "Date32", lambda t: pa.date32()),
    ((sa.String, sa.Text), lambda t: "String", lambda t: pa.string()),
)


def _storage(t: sa.types.TypeEngine) -> tuple:
    row = next((r for r in STORAGE if isinstance(t, r[0])), None)
    if row is None:
        raise TypeError(f"no storage type for {t!r}")
    return row


def column_type(t: sa.types.TypeEngine) -> str:
    """The ClickHouse type of a warehouse column's SQLAlchemy type (always ``Nullable``: SQL's NULL)."""
    return f"Nullable({_storage(t)[1](t)})"


def arrow_type(t: sa.types.TypeEngine) -> pa.DataType:
    """The Arrow type of a warehouse column (every engine's reader and writer in ``copy``)."""
    return _storage(t)[2](t)


def _ident(name: str) -> str:
    return f"`{name}`"


def table_ddl(table: sa.Table, key: tuple[str, ...] = (), event: str | None = None) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for a warehouse table: a data table when ``key`` (its natural
    key) is given, else a plain log table."""
    cols = [f"{_ident(c.name)} {'Int64' if key and c.name == 'load_id' else column_type(c.type)}"
            for c in table.columns]
    if key:
        scoped = [c for c in SCOPE_COLUMNS if c in table.c]
        cols += [f"INDEX ix_{c} {_ident(c)} TYPE set(0) GRANULARITY 4" for c in scoped]
        engine = "ReplacingMergeTree(load_id)"
        order = f"ORDER BY ({', '.join(_ident(k) for k in key)})"
        partition = f" PARTITION BY toYYYYMM(assumeNotNull({_ident(event)}))" if event else ""
        settings = " SETTINGS allow_nullable_key = 1"
    else:
        engine, order, partition, settings = "MergeTree", "ORDER BY tuple()", "", ""
    return (f"CREATE TABLE IF NOT EXISTS {_ident(table.name)} ({', '.join(cols)}) "
            f"ENGINE = {engine}{partition} {order}{settings}")


def rollup_ddl(name: str, types: list[tuple[str, str]], order: tuple[str, ...]) -> str:
    """A roll-up table: ``MergeTree`` partitioned by month (a month is rebuilt by dropping its partition,
    ``clear_month``) and sorted by month and the scope columns it has (a scoped query reads the
    granules of its regions and stores), its columns typed as the facts query returns them."""
    names = [n for n, _ in types]
    key = [c for c in ("month", *order) if c in names]
    cols = ", ".join(f"{_ident(n)} {t}" for n, t in types)
    return (f"CREATE TABLE {_ident(name)} ({cols}) ENGINE = MergeTree "
            f"PARTITION BY toYYYYMM(assumeNotNull(`month`)) "
            f"ORDER BY ({', '.join(_ident(k) for k in key)}) SETTINGS allow_nullable_key = 1")


def clear_month(conn: sa.Connection, name: str, month: date) -> None:
    """Empty one month of a roll-up: its partition dropped at once.  A ``DELETE`` is a mutation here,
    0.1–0.25 s each: a re-export touching twelve months spent a minute deleting from forty roll-ups.
    A roll-up made before it was partitioned (where dropping a month's partition would silently drop
    nothing) is deleted from."""
    partitioned = conn.execute(sa.text(
        "SELECT partition_key != '' FROM system.tables WHERE database = currentDatabase() AND name = :n"),
        {"n": name}).scalar()
    if partitioned:
        conn.exec_driver_sql(f"ALTER TABLE {_ident(name)} DROP PARTITION ID '{month:%Y%m}'")
    else:
        conn.execute(sa.text(f"DELETE FROM {_ident(name)} WHERE month = :m"), {"m": month})


# A cluster (stage 3 of docs/scaling.md): the data tables sharded by store — a store's calls, orders
# and audits on one shard, so a store or region manager's query is answered mostly by few shards —
# and a kind without a store column by its natural key's first column.  The other tables are small
# and read whole by every query (roster, settings, load log): one copy on every node.
SHARD_BY = "store"


def cluster_ddl(cluster: str, tables: list[sa.Table], keys: dict[str, tuple[str, ...]],
                events: dict[str, str | None]) -> list[str]:
    """The statements that create the warehouse on a ClickHouse cluster named ``cluster`` (in the
    server's ``remote_servers``): for every data table a local table on each node (``<name>_local``,
    the single-node DDL) and a ``Distributed`` table of the table's own name over them, sharded by
    ``cityHash64(store)``; every other table as on one node, on every node (``ON CLUSTER``)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", cluster):
        raise WarehouseError("warehouse.cluster_name", cluster=cluster)
    on = f" ON CLUSTER {_ident(cluster)}"
    out = []
    for table in tables:
        key = keys.get(table.name, ())
        ddl = table_ddl(table, key, events.get(table.name))
        head = f"CREATE TABLE IF NOT EXISTS {_ident(table.name)}"
        if not key:
            out.append(ddl.replace(head, head + on, 1))
            continue
        local = f"{table.name}_local"
        out.append(ddl.replace(head, f"CREATE TABLE IF NOT EXISTS {_ident(local)}{on}", 1))
        shard = SHARD_BY if SHARD_BY in table.c else key[0]
        out.append(f"{head}{on} AS {_ident(local)} ENGINE = Distributed({_ident(cluster)}, currentDatabase(), "
                   f"{_ident(local)}, cityHash64(assumeNotNull({_ident(shard)})))")
    return out


def create_all(conn: sa.Connection, tables: list[sa.Table], keys: dict[str, tuple[str, ...]],
               events: dict[str, str | None]) -> None:
    """Every warehouse table that is missing (ClickHouse DDL is not transactional: each statement
    stands on its own, and ``IF NOT EXISTS`` makes a repeat harmless)."""
    for table in tables:
        conn.exec_driver_sql(table_ddl(table, keys.get(table.name, ()), events.get(table.name)))
