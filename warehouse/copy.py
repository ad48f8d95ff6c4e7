"""Move a warehouse to another engine: ``python -m warehouse copy --from URL --to URL``.

DuckDB file → PostgreSQL server → ClickHouse (``chdb://`` or ``clickhousedb://``) and back: every
table of ``warehouse/schema.py`` — the data, the load log and rejects, viewers, settings, audits —
copied in batches of Arrow record batches, typed by the schema (the same on every engine), into a
target that holds no data yet.  Not copied: the roll-ups (``rollup_*`` tables and their state),
which the target rebuilds from its own facts (``python -m metrics rollups build``, or the app on
first use); until then every figure comes from the facts, the same figures.

A refusal names the table: a target that already holds rows, a source whose schema version
differs from this program's.
"""
from __future__ import annotations

from typing import Callable, Iterator

import pyarrow as pa
import sqlalchemy as sa

from warehouse.db import settle
from warehouse.errors import WarehouseError
from warehouse.schema import SCHEMA_VERSION, TABLES, current_version

BATCH_ROWS = 100_000
SKIPPED = ("rollups", "schema_version")   # rebuilt by the target / written by its own ensure_schema


def arrow_type(t: sa.types.TypeEngine) -> pa.DataType:
    """The Arrow type of a warehouse column (one mapping for every engine's reader and writer)."""
    if isinstance(t, sa.Boolean):
        return pa.bool_()
    if isinstance(t, sa.Numeric) and not isinstance(t, sa.Float):
        return pa.decimal128(t.precision or 18, t.scale or 0)
    if isinstance(t, (sa.Float, sa.Double)):
        return pa.float64()
    if isinstance(t, sa.Integer):
        return pa.int64()
    if isinstance(t, sa.DateTime):
        return pa.timestamp("us")
    if isinstance(t, sa.Date):
        return pa.date32()
    return pa.string()


def arrow_schema(table: sa.Table) -> pa.Schema:
    return pa.schema([(c.name, arrow_type(c.type)) for c in table.columns])


def _read(conn: sa.Connection, table: sa.Table) -> Iterator[pa.RecordBatch]:
    """The table's rows as record batches of its Arrow schema."""
    schema = arrow_schema(table)
    cols = ", ".join(f'"{c.name}"' if conn.dialect.name != "clickhousedb" else f"`{c.name}`" for c in table.columns)
    sql = f"SELECT {cols} FROM {table.name}"
    if conn.dialect.name == "duckdb":
        settle(conn)   # a scalar() before left its result open
        reader = conn.connection.driver_connection.sql(sql).to_arrow_reader(BATCH_ROWS)
        for batch in reader:
            yield pa.RecordBatch.from_arrays([batch.column(i).cast(schema.field(i).type) for i in range(len(schema))],
                                             schema=schema)
        return
    if conn.dialect.name == "clickhousedb":
        client = conn.connection.driver_connection.client
        with client.query_arrow_stream(sql) as stream:
            for batch in stream:
                yield pa.RecordBatch.from_arrays([batch.column(i).cast(schema.field(i).type) for i in range(len(schema))],
                                                 schema=schema)
        return
    result = conn.execution_options(yield_per=BATCH_ROWS).execute(sa.text(sql))
    for rows in result.partitions():
        yield pa.RecordBatch.from_pylist([dict(r._mapping) for r in rows], schema=schema)


def _write(conn: sa.Connection, table: sa.Table, batch: pa.RecordBatch) -> None:
    if conn.dialect.name == "duckdb":
        settle(conn)
        drv = conn.connection.driver_connection
        drv.register("copy_batch", pa.Table.from_batches([batch]))
        try:
            drv.execute(f"INSERT INTO {table.name} SELECT * FROM copy_batch")
        finally:
            drv.unregister("copy_batch")
        return
    if conn.dialect.name == "clickhousedb":
        conn.connection.driver_connection.client.insert_arrow(table.name, pa.Table.from_batches([batch]))
        return
    conn.execute(table.insert(), batch.to_pylist())


def _rows(conn: sa.Connection, name: str) -> int:
    return int(conn.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar())


def copy_warehouse(source, target, progress: Callable[[str, int], None] = lambda _t, _n: None) -> dict[str, int]:
    """Copy every table of ``source`` (a Warehouse) into ``target`` (an empty one); {table: rows}."""
    copied: dict[str, int] = {}
    with source.connect() as src, target.connect() as dst:
        version = current_version(src)
        if version != SCHEMA_VERSION:
            raise WarehouseError("copy.version", version=version, supported=SCHEMA_VERSION)
        names = [n for n in TABLES if n not in SKIPPED]
        full = [n for n in names if _rows(dst, n)]
        if full:
            raise WarehouseError("copy.target_not_empty", tables="、".join(full))
        for name in names:
            n = 0
            for batch in _read(src, TABLES[name]):
                if batch.num_rows:
                    _write(dst, TABLES[name], batch)
                    n += batch.num_rows
            if dst.in_transaction():
                dst.commit()
            copied[name] = n
            progress(name, n)
    return copied
