"""What has been loaded: row counts per table, the load log, the rejects.  Plain DataFrames for
the CLI and the pages."""
from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from warehouse.db import Warehouse
from warehouse.schema import DATA_TABLES

TABLE_LABELS = {"tickets": "工单/通话", "callbacks": "回访", "sales": "销售订单", "roster": "人员名单",
                "scorecard_inputs": "月度考核录入",
                "installer_scores": "装维单位考核", "rejects": "拒收行"}


def table_counts(wh: Warehouse) -> pd.DataFrame:
    with wh.connect() as conn:
        rows = [(t, TABLE_LABELS[t], int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()))
                for t in (*DATA_TABLES, "rejects")]
    return pd.DataFrame(rows, columns=["table", "label", "rows"])


def load_log(wh: Warehouse, limit: int = 200) -> pd.DataFrame:
    with wh.connect() as conn:
        return pd.read_sql(sa.text(
            "SELECT load_id, loaded_at, loaded_by, kind, file_name, status, encoding, rows_read, rows_inserted,"
            " rows_replaced, rows_rejected, rows_skipped, orphans, duration_seconds, sha256 "
            "FROM load_log ORDER BY load_id DESC LIMIT :n"), conn, params={"n": limit})


def is_empty(wh: Warehouse) -> bool:
    with wh.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM load_log")).scalar()) == 0


def rejects(wh: Warehouse, load_id: int | None = None, limit: int = 100_000) -> pd.DataFrame:
    """Rejected rows with file, line and reason (newest load first)."""
    where = "WHERE load_id = :id" if load_id is not None else ""
    with wh.connect() as conn:
        return pd.read_sql(sa.text(
            f"SELECT load_id, file_name, kind, line_no, reason, raw_row FROM rejects {where}"
            " ORDER BY load_id DESC, line_no LIMIT :n"), conn, params={"id": load_id, "n": limit})
