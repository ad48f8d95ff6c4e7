"""Publishing a month freezes its scorecards; the rectification plans of its bottom agents follow.

``publish`` stores every agent's row and card (with the rules version) in ``appraisal_published``
and logs who and when in ``appraisal_publish_log``.  A published month is read from there, so a
later data load or input change does not move it; publishing it again (``republish=True``, a
deliberate act) recomputes it and is logged as ``republish``.

Rectification plans (整改方案): publishing creates one for every bottom agent (``bottom`` flag), due
``ranking.rectification_days`` days after the publication.  Status on a given day:
``accepted`` (a supervisor accepted it) > ``submitted`` (handed in by the due date) > ``late``
(handed in after the due date, or not handed in and the due date passed) > ``due``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
import json

import pandas as pd
import sqlalchemy as sa

from appraisal.errors import AppraisalError
from appraisal.month import check_division, month_cards
from appraisal.rules import rules_for
from metrics.catalog import loaded_months
from metrics.months import month_key, parse_month
from warehouse.safety import json_value
from warehouse.schema import appraisal_publish_log, appraisal_published, rectification_plans

PLAN_STATUS = ("due", "submitted", "late", "accepted",)   # words: catalog texts plan.<key>


def is_published(wh, month: str | date, division: str) -> bool:
    with wh.connect() as conn:
        return bool(conn.execute(sa.text(
            "SELECT count(*) FROM appraisal_published WHERE month = :m AND division = :d"),
            {"m": parse_month(month), "d": division}).scalar())


def publish_history(wh, *, by: str) -> list[tuple[str, str, int]]:
    """Publish each loaded month but the newest, for both divisions, where not yet published — on the
    5th of the next month at 10:00, as at that month's review.  Returns (month, division, agents)."""
    done = []
    for m in loaded_months(wh)[:-1]:
        nxt = date(m.year + (m.month == 12), m.month % 12 + 1, 5)
        for division in ("presales", "aftersales"):
            if not is_published(wh, m, division):
                done.append((month_key(m), division, publish(wh, m, division, by=by,
                                                               now=datetime(nxt.year, nxt.month, 5, 10))))
    return done


def publish(wh, month: str | date, division: str, *, by: str, republish: bool = False,
            now: datetime | None = None) -> int:
    """Freeze the month's cards; returns the number of agents.  Refuses to overwrite a published
    month unless ``republish``."""
    m, division = parse_month(month), check_division(division)
    if is_published(wh, m, division) and not republish:
        raise AppraisalError("appraisal.published", month=month_key(m))
    now = (now or datetime.now()).replace(microsecond=0)
    result = month_cards(wh, m, division, rules_for(wh, m))
    rows = []
    for row in result.frame.to_dict("records"):
        row = {k: json_value(v) for k, v in row.items()}
        record = {"row": row, "card": result.cards[row["agent_id"]]}
        rows.append(dict(month=m, division=division, agent_id=row["agent_id"], score=row["composite"],
                         rank=row["rank"], record=json.dumps(record, ensure_ascii=False, default=json_value),
                         rules_version=result.rules_version, published_by=by, published_at=now))
    days = rules_for(wh, m).int("ranking.rectification_days")
    bottom = {r["agent_id"] for r in result.frame.to_dict("records") if "bottom" in r["flags"]}
    with wh.begin() as conn:
        conn.execute(appraisal_published.delete().where(
            (appraisal_published.c.month == m) & (appraisal_published.c.division == division)))
        if rows:
            conn.execute(appraisal_published.insert(), rows)
        conn.execute(appraisal_publish_log.insert().values(
            month=m, division=division, action="republish" if republish else "publish", agents=len(rows),
            rules_version=result.rules_version, published_by=by, published_at=now))
        _sync_plans(conn, m, division, bottom, due=(now + timedelta(days=days)).date(), by=by, now=now)
    return len(rows)


def _sync_plans(conn, m: date, division: str, bottom: set[str], *, due: date, by: str, now: datetime) -> None:
    """A plan for every bottom agent; plans of agents no longer at the bottom are dropped unless
    already handed in.  Existing plans keep their due date and status."""
    plans = rectification_plans
    have = {a: s for a, s in conn.execute(sa.select(plans.c.agent_id, plans.c.submitted_at).where(
        (plans.c.month == m) & (plans.c.division == division))).fetchall()}
    for agent in bottom - set(have):
        conn.execute(plans.insert().values(month=m, division=division, agent_id=agent, due_date=due,
                                           updated_by=by, updated_at=now))
    for agent, submitted in have.items():
        if agent not in bottom and submitted is None:
            conn.execute(plans.delete().where((plans.c.month == m) & (plans.c.division == division)
                                              & (plans.c.agent_id == agent)))


def publish_log(wh, month: str | date | None = None) -> pd.DataFrame:
    where, params = ("WHERE month = :m", {"m": parse_month(month)}) if month else ("", {})
    with wh.connect() as conn:
        return pd.read_sql(sa.text(
            f"SELECT month, division, action, agents, rules_version, published_by, published_at "
            f"FROM appraisal_publish_log {where} ORDER BY published_at DESC"), conn, params=params)


@dataclass(frozen=True)
class Plan:
    month: date
    division: str
    agent_id: str
    due_date: date
    submitted_at: datetime | None
    accepted_at: datetime | None
    accepted_by: str | None
    note: str | None

    def status(self, today: date) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.submitted_at is not None:
            return "submitted" if self.submitted_at.date() <= self.due_date else "late"
        return "late" if today > self.due_date else "due"


def plans(wh, month: str | date, division: str, *, today: date | None = None) -> pd.DataFrame:
    """The month's rectification plans with their status on ``today``."""
    today = today or date.today()
    with wh.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT month, division, agent_id, due_date, submitted_at, accepted_at, accepted_by, note "
            "FROM rectification_plans WHERE month = :m AND division = :d ORDER BY agent_id"),
            {"m": parse_month(month), "d": division}).fetchall()
    items = [Plan(*r) for r in rows]
    return pd.DataFrame([{**p.__dict__, "status": p.status(today)} for p in items],
                        columns=[*Plan.__dataclass_fields__, "status"])


def update_plan(wh, month: str | date, division: str, agent_id: str, *, action: str, by: str,
                note: str | None = None, at: datetime | None = None) -> None:
    """``submit`` (the agent handed the plan in) or ``accept`` (the supervisor accepted it)."""
    at = (at or datetime.now()).replace(microsecond=0)
    key = ((rectification_plans.c.month == parse_month(month)) & (rectification_plans.c.division == division)
           & (rectification_plans.c.agent_id == agent_id))
    values = {"submit": {"submitted_at": at}, "accept": {"accepted_at": at, "accepted_by": by,
                                  "submitted_at": sa.func.coalesce(rectification_plans.c.submitted_at, at)}}.get(action)
    if values is None:
        raise AppraisalError("appraisal.unknown_action", action=action)
    if note is not None:
        values["note"] = note
    with wh.begin() as conn:
        found = conn.execute(rectification_plans.update().where(key).values(
            **values, updated_by=by, updated_at=at)).rowcount
    if not found:
        raise AppraisalError("appraisal.no_plan", month=month_key(parse_month(month)), agent=agent_id)
