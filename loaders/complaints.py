"""Changes made to the complaint register on the 投诉闭环 page, written like a load.

A stage update (判定, 方案, 审批, 解决, 回访) changes cells of one ``complaints`` row.  It is written
in one transaction with a ``load_log`` row (kind ``complaints``, file ``投诉闭环页``), one
``complaint_log`` row per changed cell (who, when, old and new value) and the roll-ups' refresh of
the complaint's month: the data version moves, so every cached figure and roll-up follows, as after
a file load.  A later re-export of the same complaint replaces the row (the file is the system of
record); the log keeps what was done on the page.  Who may change what is decided above this layer
(``metrics.complaints.advance``: scope and the stage machine).
"""
from __future__ import annotations

import json
import time
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from warehouse import rollups
from warehouse.db import Warehouse
from warehouse.schema import TABLES

PAGE_FILE = "投诉闭环页"
EDITABLE = ("valid", "responsible_department", "verified", "plan", "approved_by", "resolved_at", "post_callback_at",
            "post_satisfaction")


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value).lower() if isinstance(value, bool) else str(value)


def apply_update(wh: Warehouse, complaint_id: str, stage: str, changes: dict, user: str,
                 now: datetime | None = None) -> int:
    """Write ``changes`` (column → value, columns of ``EDITABLE``) to one complaint; returns the load id.
    Raises KeyError when the complaint is not in the warehouse."""
    assert changes and set(changes) <= set(EDITABLE), changes
    now = (now or datetime.now()).replace(microsecond=0)
    started = time.monotonic()
    cols = list(changes)
    with wh.writing(), wh.begin() as conn:
        if not wh.is_duckdb:
            conn.exec_driver_sql("LOCK TABLE load_log IN EXCLUSIVE MODE")
        row = conn.execute(sa.text(f"SELECT received_at, {', '.join(cols)} FROM complaints WHERE complaint_id = :c"),
                           {"c": complaint_id}).mappings().first()
        if row is None:
            raise KeyError(complaint_id)
        load_id = int(conn.execute(sa.text("SELECT coalesce(max(load_id), 0) + 1 FROM load_log")).scalar())
        sets = ", ".join(f"{c} = :v_{c}" for c in cols)
        conn.execute(sa.text(f"UPDATE complaints SET {sets}, load_id = :l WHERE complaint_id = :c"),
                     {**{f"v_{c}": v for c, v in changes.items()}, "l": load_id, "c": complaint_id})
        for c in cols:
            conn.execute(TABLES["complaint_log"].insert().values(
                complaint_id=complaint_id, stage=stage, column_name=c, old_value=_text(row[c]),
                new_value=_text(changes[c]), changed_by=user, changed_at=now, load_id=load_id))
        received = row["received_at"]
        rollups.refresh(conn, "complaints", (received, received), load_id)
        conn.execute(TABLES["load_log"].insert().values(
            load_id=load_id, file_name=f"{PAGE_FILE} · {complaint_id}", sha256=None, kind="complaints",
            status="loaded", sheet=None, encoding=None, rows_read=1, rows_inserted=0, rows_replaced=1,
            rows_rejected=0, rows_skipped=0, orphans=0, ignored_columns="[]",
            notes=json.dumps([f"{stage}: {', '.join(cols)}"], ensure_ascii=False),
            duration_seconds=round(time.monotonic() - started, 3), context="page", warnings="[]",
            loaded_by=user, loaded_at=now))
    return load_id


def history(wh: Warehouse, complaint_id: str):
    """The page's changes to one complaint, newest first (a DataFrame)."""
    with wh.connect() as conn:
        result = conn.execute(sa.text(
            "SELECT changed_at, changed_by, stage, column_name, old_value, new_value FROM complaint_log "
            "WHERE complaint_id = :c ORDER BY changed_at DESC, load_id DESC, column_name"), {"c": complaint_id})
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
