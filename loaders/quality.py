"""The data-quality panel of 数据导入 (the seed asks for it): rows that loaded but will weaken a figure,
counted per month and per load, with the rows themselves.  One declaration per check; its words are
the catalog texts ``dq.<key>`` (and ``dq.<key>.help``)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from warehouse.db import Warehouse
from warehouse.kinds import SCHEMAS
from warehouse.safety import mask_phone

LIMIT = 1000


@dataclass(frozen=True)
class Check:
    key: str
    table: str        # a data table (its event column places a row in a month)
    where: str        # SQL over the table's row ``t``
    show: tuple[str, ...]   # the columns the drill-down lists


CHECKS: tuple[Check, ...] = (
    # an answered call without an agent number: counted under 未知 in every agent and team figure
    Check("answered_no_agent", "tickets", "t.call_result = 'answered' AND t.agent_id IS NULL",
          ("ticket_id", "created_at", "channel", "agent_name", "team", "store", "customer_phone")),
    Check("agent_not_in_roster", "tickets",
          "t.agent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM roster r WHERE r.agent_id = t.agent_id)",
          ("ticket_id", "created_at", "channel", "agent_id", "agent_name", "team", "store")),
    # a ticket (it has a status) nobody handled: neither a number nor a name
    Check("ticket_no_handler", "tickets", "t.status IS NOT NULL AND t.agent_id IS NULL AND t.agent_name IS NULL",
          ("ticket_id", "created_at", "channel", "category", "status", "team", "store")),
    # a callback that reached the customer without a grade: missing from 满意率
    Check("callback_no_grade", "callbacks", "t.result = 'reached' AND t.satisfaction IS NULL",
          ("callback_id", "ticket_id", "callback_at", "result", "caller_id", "comment")),
    Check("complaint_no_department", "complaints",
          "t.complaint_class = 'complaint' AND t.valid AND t.responsible_department IS NULL",
          ("complaint_id", "received_at", "category", "store", "region", "team", "agent_id")),
)
BY_KEY = {c.key: c for c in CHECKS}


def _month(check: Check) -> str:
    return f"CAST(date_trunc('month', t.{SCHEMAS[check.table].event}) AS DATE)"


def summary(wh: Warehouse, by: str = "month") -> pd.DataFrame:
    """check, month (``by="month"``) or load_id (``by="load"``), n — only the groups with rows."""
    group = {"month": None, "load": "t.load_id"}[by]
    parts = [f"SELECT '{c.key}' AS check_key, {group or _month(c)} AS grp, COUNT(*) AS n FROM {c.table} t "
             f"WHERE {c.where} GROUP BY {group or _month(c)}" for c in CHECKS]
    with wh.connect() as conn:
        result = conn.execute(sa.text(" UNION ALL ".join(parts)))
        df = pd.DataFrame(result.fetchall(), columns=["check", by, "n"])
    df["n"] = df["n"].astype(int)
    return df.sort_values(["check", by], kind="stable").reset_index(drop=True)


def rows(wh: Warehouse, key: str, *, month=None, load_id: int | None = None, limit: int = LIMIT) -> pd.DataFrame:
    """The rows of one check (in one month or from one load), newest first, phones masked."""
    c = BY_KEY[key]
    event = SCHEMAS[c.table].event
    where, params = [c.where], {"limit": int(limit)}
    if month is not None:
        where.append(f"{_month(c)} = :month")
        params["month"] = month
    if load_id is not None:
        where.append("t.load_id = :load_id")
        params["load_id"] = int(load_id)
    cols = ", ".join(f"t.{col}" for col in (*c.show, "load_id", "line_no"))
    with wh.connect() as conn:
        result = conn.execute(sa.text(f"SELECT {cols} FROM {c.table} t WHERE {' AND '.join(where)} "
                                      f"ORDER BY t.{event} DESC LIMIT :limit"), params)
        df = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    if "customer_phone" in df.columns:
        df["customer_phone"] = df["customer_phone"].map(mask_phone)
    return df
