"""The complaint loop (投诉闭环): 受理 → 判定 → 方案 → 审批 → 解决 → 回访, declared once.

A complaint's stage is the last one done in order; an invalid complaint (判定 不成立) skips 方案 and
审批 (the customer is answered, then called back), and an opinion or a suggestion is not judged: it
goes from 受理 to 解决 and 回访.  Each stage after 受理 has a deadline, a setting
counted from receipt (the callback's from the resolution); a stage not done by its deadline is
overdue.  The register is the ``complaints`` source's rows through the builder's scope and filters,
so a manager reads and changes only complaints in their scope.  Medians and P90s of the hours to a
result are not sums: they come from the register's rows (a month of complaints is small).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa

from loaders.complaints import apply_update
from metrics.errors import MetricError
from metrics.months import month_key, normalise
from metrics.scope import NO_FILTERS, Filters, Scope
from metrics.settings import Settings, load_settings
from texts import Message
from metrics.statements import _with_facts
from warehouse.safety import mask_phone

GRADES = ("A", "B", "C", "D")


@dataclass(frozen=True)
class Stage:
    key: str
    fields: tuple[str, ...]        # the register columns this stage fills (the page's form)
    done: str                      # the column whose value means "done"
    deadline: str | None = None    # the setting holding its hours
    since: str = "received_at"     # the deadline counts from this column
    skipped_when_invalid: bool = False
    complaints_only: bool = False  # opinions and suggestions are answered, not judged
    # the stage's label is the catalog text complaint.stage.<key>


STAGES: tuple[Stage, ...] = (
    Stage("received", (), "received_at"),
    Stage("judged", ("valid", "responsible_department", "verified"), "valid", "complaint_judge_hours",
          complaints_only=True),
    Stage("planned", ("plan",), "plan", "complaint_plan_hours", skipped_when_invalid=True, complaints_only=True),
    Stage("approved", ("approved_by",), "approved_by", "complaint_approve_hours", skipped_when_invalid=True,
          complaints_only=True),
    Stage("resolved", ("resolved_at",), "resolved_at", "complaint_resolve_hours"),
    Stage("called_back", ("post_callback_at", "post_satisfaction"), "post_callback_at", "complaint_callback_hours",
          since="resolved_at"),
)
BY_KEY = {s.key: s for s in STAGES}


def _present(v) -> bool:
    return v is not None and not (isinstance(v, float) and np.isnan(v)) and v is not pd.NaT and not (
        isinstance(v, str) and not v.strip())


def _skipped(stage: Stage, row: dict) -> bool:
    if stage.complaints_only and row.get("complaint_class") not in (None, "complaint"):
        return True
    return stage.skipped_when_invalid and _present(row.get("valid")) and not bool(row.get("valid"))


def progress(row: dict) -> tuple[str, str | None]:
    """(the stage reached, the next stage to do or None when the loop is closed)."""
    reached = STAGES[0].key
    for stage in STAGES[1:]:
        if _skipped(stage, row):
            continue
        if not _present(row.get(stage.done)):
            return reached, stage.key
        reached = stage.key
    return reached, None


def due_at(stage_key: str, row: dict, settings: Settings) -> datetime | None:
    stage = BY_KEY[stage_key]
    since = row.get(stage.since)
    if stage.deadline is None or not _present(since):
        return None
    return pd.Timestamp(since).to_pydatetime() + timedelta(hours=float(getattr(settings, stage.deadline)))


def annotate(frame: pd.DataFrame, settings: Settings, now: datetime) -> pd.DataFrame:
    """The register with its loop columns: ``stage`` reached, ``next_stage``, ``due_at``, ``overdue``
    (the next stage's deadline passed), ``overdue_hours``."""
    out = frame.copy()
    stages, nexts, dues = [], [], []
    for row in out.to_dict("records"):
        reached, nxt = progress(row)
        stages.append(reached)
        nexts.append(nxt)
        dues.append(due_at(nxt, row, settings) if nxt else None)
    out["stage"], out["next_stage"] = stages, nexts
    out["due_at"] = pd.to_datetime(pd.Series(dues, index=out.index, dtype="object"))
    late = (pd.Timestamp(now) - out["due_at"]).dt.total_seconds() / 3600.0
    out["overdue"] = late.gt(0).fillna(False).astype(bool)
    out["overdue_hours"] = late.where(out["overdue"])
    return out


def register(wh, *, months: Sequence, scope: Scope, filters: Filters = NO_FILTERS, settings: Settings | None = None,
             now: datetime | None = None) -> pd.DataFrame:
    """The register rows of ``months`` in the viewer's scope and filters, newest first, phone numbers
    masked, with the loop columns of ``annotate``."""
    settings = settings or load_settings(wh)
    with_sql, params, expanding = _with_facts("complaints", months=normalise(months), dims=("month",),
                                              filters=filters, scope=scope, settings=settings)
    statement = sa.text(f"{with_sql}SELECT * FROM facts ORDER BY received_at DESC, complaint_id")
    statement = statement.bindparams(*(sa.bindparam(n, expanding=True) for n in expanding))
    with wh.connect() as conn:
        result = conn.execute(statement, params)
        df = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    df["customer_phone"] = df["customer_phone"].map(mask_phone) if len(df) else df["customer_phone"]
    df["result_hours"] = df["result_hours"].astype(float)   # PostgreSQL's EXTRACT is NUMERIC
    if len(df):
        df["month"] = [month_key(pd.Timestamp(x).date()) for x in df["month"]]
    return annotate(df, settings, now or datetime.now())


def result_hours(frame: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Median and P90 of the hours to a result (resolved rows) per group of ``by``: n, median, p90."""
    rows = frame[frame["result_hours"].notna()]
    if not by:
        h = rows["result_hours"].astype(float)
        return pd.DataFrame([{"n": len(h), "median": h.median() if len(h) else np.nan,
                              "p90": h.quantile(0.9) if len(h) else np.nan}])
    g = rows.groupby(list(by), dropna=False)["result_hours"]
    return pd.DataFrame({"n": g.size(), "median": g.median(), "p90": g.quantile(0.9)}).reset_index()


def linked_ticket(wh, ticket_id: str, *, scope: Scope, settings: Settings | None = None) -> pd.DataFrame:
    """The ticket a complaint links to, through the tickets source's scope (empty when it is not
    loaded or not in the viewer's scope); its phone masked."""
    with wh.connect() as conn:
        created = conn.execute(sa.text("SELECT created_at FROM tickets WHERE ticket_id = :t"),
                               {"t": str(ticket_id)}).scalar()
    if created is None:
        return pd.DataFrame()
    with_sql, params, expanding = _with_facts("tickets", months=normalise([created.date()]), dims=("month",),
                                              filters=NO_FILTERS, scope=scope, settings=settings or load_settings(wh))
    params["linked_ticket"] = str(ticket_id)
    statement = sa.text(f"{with_sql}SELECT * FROM facts WHERE ticket_id = :linked_ticket")
    statement = statement.bindparams(*(sa.bindparam(n, expanding=True) for n in expanding))
    with wh.connect() as conn:
        result = conn.execute(statement, params)
        df = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    if len(df):
        df["customer_phone"] = df["customer_phone"].map(mask_phone)
    return df


def _one(wh, complaint_id: str, scope: Scope, settings: Settings, now: datetime) -> dict:
    """The complaint as its viewer sees it, or the same error whether it is missing or out of scope."""
    with wh.connect() as conn:
        received = conn.execute(sa.text("SELECT received_at FROM complaints WHERE complaint_id = :c"),
                                {"c": str(complaint_id)}).scalar()
    if received is not None:
        frame = register(wh, months=[received.date()], scope=scope, settings=settings, now=now)
        match = frame[frame["complaint_id"] == str(complaint_id)]
        if len(match):
            return match.iloc[0].to_dict()
    raise MetricError("complaint.not_found", complaint_id=str(complaint_id))


def _when(value, name: str) -> datetime:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        ts = pd.NaT
    if pd.isna(ts):
        raise MetricError("complaint.bad_time", field=name, value=str(value))
    return ts.to_pydatetime().replace(microsecond=0)


def advance(wh, complaint_id: str, stage_key: str, values: dict, *, scope: Scope, user: str,
            now: datetime | None = None) -> int:
    """Do ``stage_key`` of one complaint with ``values`` (its fields), if the viewer's scope holds the
    complaint and the stage is the next one; every problem raises a MetricError.  Returns the load id."""
    now = (now or datetime.now()).replace(microsecond=0)
    settings = load_settings(wh)
    row = _one(wh, complaint_id, scope, settings, now)
    stage = BY_KEY.get(stage_key)
    reached, nxt = progress(row)
    if stage is None or stage_key != nxt:
        raise MetricError("complaint.not_next", stage=Message(f"complaint.stage.{stage_key}") if stage else stage_key,
                          next=Message(f"complaint.stage.{nxt or 'closed'}"))
    changes: dict = {}
    if stage.key == "judged":
        if not isinstance(values.get("valid"), bool):
            raise MetricError("complaint.judge_needs_valid")
        department = str(values.get("responsible_department") or "").strip()
        if values["valid"] and not department:
            raise MetricError("complaint.judge_needs_department")
        changes = {"valid": values["valid"], "responsible_department": department or None}
        if isinstance(values.get("verified"), bool):
            changes["verified"] = values["verified"]
    elif stage.key == "planned":
        plan = str(values.get("plan") or "").strip()
        if not plan:
            raise MetricError("complaint.plan_empty")
        changes = {"plan": plan[:2000]}
    elif stage.key == "approved":
        changes = {"approved_by": user}          # the approver is the signed-in manager, never typed
    elif stage.key == "resolved":
        at = _when(values.get("resolved_at", now), "resolved_at")
        if at < pd.Timestamp(row["received_at"]).to_pydatetime() or at > now:
            raise MetricError("complaint.time_out_of_order", field="resolved_at")
        changes = {"resolved_at": at}
    elif stage.key == "called_back":
        at = _when(values.get("post_callback_at", now), "post_callback_at")
        if at < pd.Timestamp(row["resolved_at"]).to_pydatetime() or at > now:
            raise MetricError("complaint.time_out_of_order", field="post_callback_at")
        grade = values.get("post_satisfaction")
        if grade is not None and grade not in GRADES:
            raise MetricError("complaint.bad_grade", value=str(grade))
        changes = {"post_callback_at": at, "post_satisfaction": grade}
    return apply_update(wh, str(complaint_id), stage.key, changes, user, now=now)
