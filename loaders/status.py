"""What has been loaded: row counts per table, the load log, the rejects.  Plain DataFrames for
the CLI and the pages."""
from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

import texts
from warehouse.db import Warehouse
from warehouse.schema import DATA_TABLES


def table_label(table: str, lang: str = texts.DEFAULT) -> str:
    """A data table by its kind's short name; the rejects table by its own."""
    text_id = f"kind.{table}.short" if table in DATA_TABLES else f"table.{table}"
    return texts.text(text_id, lang) if texts.has(text_id) else table


def table_counts(wh: Warehouse, lang: str = texts.DEFAULT) -> pd.DataFrame:
    with wh.connect() as conn:
        rows = [(t, table_label(t, lang), int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()))
                for t in (*DATA_TABLES, "rejects")]
    return pd.DataFrame(rows, columns=["table", "label", "rows"])


def load_log(wh: Warehouse, limit: int = 200) -> pd.DataFrame:
    with wh.connect() as conn:
        return pd.read_sql(sa.text(
            "SELECT load_id, loaded_at, loaded_by, kind, file_name, status, encoding, rows_read, rows_inserted,"
            " rows_replaced, rows_rejected, rows_skipped, orphans, duration_seconds, sha256 "
            "FROM load_log ORDER BY load_id DESC LIMIT :n"), conn, params={"n": limit})


def has_rows(wh: Warehouse, table: str) -> bool:
    """Whether the data table ``table`` (a kind) holds any row."""
    assert table in DATA_TABLES, table
    with wh.connect() as conn:
        return conn.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None


def is_empty(wh: Warehouse) -> bool:
    with wh.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM load_log")).scalar()) == 0


def rejects(wh: Warehouse, load_id: int | None = None, limit: int = 100_000, resolved: bool = False) -> pd.DataFrame:
    """Rejected rows with file, line and reason (newest load first); open ones only unless ``resolved``."""
    where = ["load_id = :id"] if load_id is not None else []
    if not resolved:
        where.append("resolved_load_id IS NULL")
    where = ("WHERE " + " AND ".join(where)) if where else ""
    with wh.connect() as conn:
        return pd.read_sql(sa.text(
            f"SELECT load_id, file_name, kind, line_no, reason, raw_row FROM rejects {where}"
            " ORDER BY load_id DESC, line_no LIMIT :n"), conn, params={"id": load_id, "n": limit})
