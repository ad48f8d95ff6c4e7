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

from warehouse import clickhouse
from warehouse.clickhouse import arrow_type
from warehouse.db import settle
from warehouse.errors import WarehouseError
from warehouse.schema import SCHEMA_VERSION, TABLES, current_version

BATCH_ROWS = 100_000
SKIPPED = ("rollups", "schema_version")   # rebuilt by the target / written by its own ensure_schema


def arrow_schema(table: sa.Table) -> pa.Schema:
    return pa.schema([(c.name, arrow_type(c.type)) for c in table.columns])


def _typed(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """An engine's batch in the schema's types (an engine's own: DuckDB's decimals, ClickHouse's UTC times)."""
    return pa.RecordBatch.from_arrays([batch.column(i).cast(f.type) for i, f in enumerate(schema)], schema=schema)


def _read(conn: sa.Connection, table: sa.Table) -> Iterator[pa.RecordBatch]:
    """The table's rows as record batches of its Arrow schema."""
    schema = arrow_schema(table)
    quote = "`" if conn.dialect.name == clickhouse.DIALECT else '"'
    sql = f"SELECT {', '.join(f'{quote}{c.name}{quote}' for c in table.columns)} FROM {table.name}"
    if conn.dialect.name == "duckdb":
        settle(conn)   # a scalar() before left its result open
        for batch in conn.connection.driver_connection.sql(sql).to_arrow_reader(BATCH_ROWS):
            yield _typed(batch, schema)
        return
    if conn.dialect.name == clickhouse.DIALECT:
        with conn.connection.driver_connection.client.query_arrow_stream(sql) as stream:
            for batch in stream:
                yield _typed(batch, schema)
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
    if conn.dialect.name == clickhouse.DIALECT:
        conn.connection.driver_connection.client.insert_arrow(table.name, pa.Table.from_batches([batch]))
        return
    # PostgreSQL's bulk path, COPY, a row at a time through psycopg's C writer (an INSERT per row
    # moved 10 M rows in tens of minutes)
    cols = ", ".join(f'"{c.name}"' for c in table.columns)
    if not conn.in_transaction():   # the driver's COPY inside SQLAlchemy's transaction, which the caller commits
        conn.begin()
    with conn.connection.driver_connection.cursor() as cur, cur.copy(f"COPY {table.name} ({cols}) FROM STDIN") as out:
        for row in zip(*(column.to_pylist() for column in batch.columns)):
            out.write_row(row)


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
