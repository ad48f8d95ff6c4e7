"""Alert rules, their evaluation and the alerts' life (open → acknowledged → resolved).

A rule is a row of ``alert_rules``: its kind (one of ``KINDS``), a KPI for the kinds that need one,
the scope it watches (all, or one region / store / team), a threshold (each kind's default when
empty) and who is told (names or addresses; ``python -m alerts`` is the sender, not built yet).
``evaluate`` runs every enabled rule for a month and a day and records each occurrence once
(rule + occurrence key): re-running never duplicates an alert, and an alert resolved by hand stays
resolved.  An alert carries the region / store / team it concerns, so a viewer sees only the alerts
of their scope (``visible``); a company-wide alert is seen by company-wide viewers only.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable
from urllib.parse import urlencode

import pandas as pd
import sqlalchemy as sa

from alerts.errors import AlertError  # noqa: F401 - the pages catch it from here
from appraisal.installers import callback_coverage, unit_scores
from appraisal.month import appraisal
from appraisal.rules import rules_for
from metrics import Scope, compute, load_settings
from metrics.months import add_months, month_key, parse_month
from metrics.registry import BY_KEY
from metrics import worklists
from metrics.staffing import seat_alert, weekly_answer_rates
from metrics.targets import attach, load_targets
import texts
from texts import fmt
from reports import complaints as complaint_reports
from warehouse.schema import alert_log, alert_rules, alerts

STATUSES = ("open", "acknowledged", "resolved")       # words: catalog texts alerts.status.<key>
LEVELS = ("all", "region", "store", "team")


@dataclass(frozen=True)
class Occurrence:
    occurrence: str                 # what makes it the same alert next time (with the rule)
    period: str                     # the month, week or day it is about
    subject: str                    # who or what: a unit, an agent, a KPI, an action
    region: str | None = None
    store: str | None = None
    team: str | None = None
    kpi: str | None = None
    value: float | None = None
    detail: dict = field(default_factory=dict)    # the message's parameters (catalog alerts.msg.<kind>)
    page: str = "overview"                        # where the evidence is
    query: dict = field(default_factory=dict)     # …filtered to it


@dataclass(frozen=True)
class Rule:
    rule_id: int
    kind: str
    kpi: str | None
    scope_level: str
    scope_value: str | None
    threshold: float | None
    notify: str
    enabled: bool

    @property
    def scope(self) -> Scope:
        if self.scope_level == "all":
            return Scope.all()
        return Scope.of(**{f"{self.scope_level}s": [self.scope_value]})

    def limit(self) -> float:
        return KINDS[self.kind].threshold if self.threshold is None or pd.isna(self.threshold) else float(self.threshold)

    def where(self) -> dict:
        """The rule's own scope as an alert's region / store / team (a narrower alert overrides it)."""
        return {} if self.scope_level == "all" else {self.scope_level: self.scope_value}


@dataclass(frozen=True)
class Kind:
    key: str
    threshold: float                 # the default: its meaning is the kind's (catalog alerts.threshold.<key>)
    needs_kpi: bool
    evaluate: Callable[..., list[Occurrence]]


def _month_query(m: date, **extra) -> dict:
    return {"from": month_key(m), "to": month_key(m), **{k: v for k, v in extra.items() if v}}


# ------------------------------------------------------------------ the evaluators, one per kind
def _seat(wh, rule: Rule, month: date, today: date) -> list[Occurrence]:
    """Weekly answer rate down ≥ threshold (5 pp) for 3 weeks running (metrics.staffing.seat_alert)."""
    weekly = weekly_answer_rates(wh, until=month, weeks=8, scope=rule.scope)
    if weekly.empty or not seat_alert(weekly["answer_rate"], drop=rule.limit()):
        return []
    last = weekly.iloc[-1]
    week = str(last["week"])[:10]
    return [Occurrence(f"seat|{week}", week, BY_KEY["answer_rate"].label, kpi="answer_rate",
                       value=float(last["answer_rate"]), detail={"week": week, "drop": rule.limit()},
                       page="staffing", query=_month_query(month, **rule.where()), **rule.where())]


def _off_target(wh, rule: Rule, month: date, today: date) -> list[Occurrence]:
    """The rule's KPI red (off target) in each of the last ``threshold`` (2) months."""
    n = max(1, int(rule.limit()))
    months = [add_months(month, -k) for k in range(n - 1, -1, -1)]
    df = compute(wh, [rule.kpi], months=months, dims=("month",), scope=rule.scope, settings=load_settings(wh))
    if len(df) < n:
        return []
    df = attach(df, load_targets(wh))
    if not (df["status"] == "red").all():
        return []
    last = df.sort_values("month").iloc[-1]
    return [Occurrence(f"off_target|{rule.kpi}|{month_key(month)}", month_key(month), BY_KEY[rule.kpi].label,
                       kpi=rule.kpi, value=float(last["value"]),
                       detail={"kpi": rule.kpi, "months": n, "target": float(last["target"])},
                       page="matrix", query=_month_query(month, **rule.where()), **rule.where())]


def _installer(wh, rule: Rule, month: date, today: date) -> list[Occurrence]:
    """An installer unit's strike this month that makes ``threshold`` (2) in the rules' window."""
    scores = unit_scores(wh, month, scope=rule.scope)
    limit = rules_for(wh, month)["installers.threshold"]
    hit = scores[(scores["strikes"] >= rule.limit()) & (scores["score"] < limit)]
    return [Occurrence(f"installer|{r.unit}|{month_key(month)}", month_key(month), r.unit, store=r.unit,
                       value=float(r.score), detail={"unit": r.unit, "strikes": int(r.strikes),
                                                     "months": r.strike_months},
                       page="appraisal", query=_month_query(month, store=r.unit),
                       **{k: v for k, v in rule.where().items() if k != "store"})
            for r in hit.itertuples()]


def _agents_flagged(flag: str):
    def evaluate(wh, rule: Rule, month: date, today: date) -> list[Occurrence]:
        out = []
        for division in ("presales", "aftersales"):
            result = appraisal(wh, month, division, scope=rule.scope)
            if flag == "bottom_streak" and not result.published:
                continue            # "last three *published* months running"
            for r in result.frame.to_dict("records"):
                if flag in (r.get("flags") or []):
                    out.append(Occurrence(
                        f"{flag}|{r['agent_id']}|{month_key(month)}", month_key(month),
                        f"{r.get('agent_name') or ''}（{r['agent_id']}）", region=r.get("region"), store=r.get("store"),
                        team=r.get("team"), detail={"agent": r["agent_id"], "name": r.get("agent_name") or "",
                                                    "division": division},
                        page="appraisal", query=_month_query(month, team=r.get("team"))))
        return out
    return evaluate


def _install_callbacks(wh, rule: Rule, month: date, today: date) -> list[Occurrence]:
    """Yesterday's installations called back the next day below ``threshold`` (100 %), per unit."""
    yesterday = today - timedelta(days=1)
    daily, _ = callback_coverage(wh, yesterday.replace(day=1), scope=rule.scope)
    hit = daily[(daily["day"] == yesterday) & (daily["coverage"] < rule.limit() - 1e-12)]
    return [Occurrence(f"install_callbacks|{r.unit}|{yesterday}", str(yesterday), r.unit, store=r.unit,
                       value=float(r.coverage), detail={"unit": r.unit, "installs": int(r.installs),
                                                        "in_time": int(r.in_time), "day": str(yesterday)},
                       page="appraisal", query=_month_query(yesterday.replace(day=1), store=r.unit),
                       **{k: v for k, v in rule.where().items() if k != "store"})
            for r in hit.itertuples()]


def _actions_overdue(wh, rule: Rule, month: date, today: date) -> list[Occurrence]:
    """Review action items still open (or in progress) after their due date."""
    with wh.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT action_id, title, owner, due_date, scope_level, scope_value FROM review_actions "
            "WHERE status IN ('open', 'doing') AND due_date < :today ORDER BY action_id"), {"today": today}).all()
    out = []
    for r in rows:
        where = {} if r.scope_level == "all" else {r.scope_level: r.scope_value}
        if rule.scope_level != "all" and where.get(rule.scope_level) != rule.scope_value:
            continue
        due = r.due_date if isinstance(r.due_date, date) else parse_month(str(r.due_date)[:7])
        out.append(Occurrence(f"action|{r.action_id}|{due}", str(due)[:10], r.title, detail={
            "title": r.title, "owner": r.owner, "due": str(due)[:10], "days": (today - due).days},
            page="review", query={}, **where))
    return out


def _key_callbacks(wh, rule: Rule, month: date, today: date) -> list[Occurrence]:
    """A key customer not called back by the due day (metrics.worklists): one alert per trigger."""
    # the triggers of the last two months and this one: a due day passes at most 60 days after its trigger
    months = sorted({(today - timedelta(days=d)).replace(day=1) for d in range(0, 62)})
    out = []
    for m in months:
        rows = worklists.due(wh, "key_customers", months=[m], scope=rule.scope, today=today)
        for r in rows[rows["status"] == "overdue"].itertuples():
            out.append(Occurrence(f"key_callbacks|{r.ticket_id}", str(r.due_day), str(r.customer_id),
                                  **{k: (None if pd.isna(v) else v) for k, v in
                                     (("region", r.region), ("store", r.store), ("team", r.team))},
                                  detail={"customer": str(r.customer_id), "ticket": str(r.ticket_id),
                                          "due": str(r.due_day)},
                                  page="satisfaction", query=_month_query(m)))
    return out


def _complaint_line(wh, rule: Rule, month: date, today: date) -> list[Occurrence]:
    """The seed's line rule on the last full ISO week: a line whose weekly complaints fell by
    ``line_drop_per_week`` (a setting) 4 weeks running may be replaced (reports.complaints)."""
    last_week = complaint_reports.week_key(today - timedelta(days=today.isoweekday()))
    lines = complaint_reports.build_weekly(wh, last_week, viewer=rule.scope).sections["lines"][0].frame
    return [Occurrence(f"complaint_line|{r['line']}|{last_week}", last_week, str(r["line"]),
                       detail={"line": str(r["line"]), "week": last_week}, page="complaints",
                       query=_month_query(month), **rule.where())
            for r in lines.to_dict("records") if r["line_rule"]]


KINDS: dict[str, Kind] = {k.key: k for k in (
    Kind("seat", 0.05, False, _seat),
    Kind("off_target", 2, True, _off_target),
    Kind("installer_strike", 2, False, _installer),
    Kind("red_line", 0, False, _agents_flagged("red_line")),
    Kind("bottom_streak", 0, False, _agents_flagged("bottom_streak")),
    Kind("install_callbacks", 1.0, False, _install_callbacks),
    Kind("actions_overdue", 0, False, _actions_overdue),
    Kind("key_callbacks", 0, False, _key_callbacks),
    Kind("complaint_line", 0, False, _complaint_line),
)}
# the rules a new warehouse starts with: the company's, watching everything
DEFAULT_RULES = [{"kind": k, "kpi": None} for k in KINDS if not KINDS[k].needs_kpi] + [
    {"kind": "off_target", "kpi": kpi} for kpi in ("answer_within_3_rings_rate", "satisfaction_rate")]


# ------------------------------------------------------------------ rules
def rules(wh) -> pd.DataFrame:
    """Every rule; a warehouse without any gets the company's defaults (``DEFAULT_RULES``) first."""
    with wh.begin() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(alert_rules)).scalar() == 0:
            for i, r in enumerate(DEFAULT_RULES, start=1):
                conn.execute(alert_rules.insert().values(
                    rule_id=i, kind=r["kind"], kpi=r["kpi"], scope_level="all", scope_value=None, threshold=None,
                    notify="", enabled=True, updated_by="system", updated_at=datetime.now()))
        return pd.read_sql(sa.select(alert_rules).order_by(alert_rules.c.rule_id), conn)


def _rule(row: dict) -> Rule:
    return Rule(int(row["rule_id"]), row["kind"], row.get("kpi") or None, row.get("scope_level") or "all",
                row.get("scope_value") or None, None if pd.isna(row.get("threshold")) else row.get("threshold"),
                row.get("notify") or "", bool(row.get("enabled")))


def check_rule(row: dict) -> None:
    if row.get("kind") not in KINDS:
        raise AlertError("alerts.unknown_kind", kind=str(row.get("kind")), known="、".join(KINDS))
    if KINDS[row["kind"]].needs_kpi and row.get("kpi") not in BY_KEY:
        raise AlertError("alerts.needs_kpi", kind=row["kind"])
    if (row.get("scope_level") or "all") not in LEVELS:
        raise AlertError("alerts.unknown_level", level=str(row.get("scope_level")))
    if (row.get("scope_level") or "all") != "all" and not row.get("scope_value"):
        raise AlertError("alerts.level_value")


def save_rules(wh, frame: pd.DataFrame, *, by: str) -> int:
    """Replace the rules with ``frame`` (the page's editor), each checked first; rule ids are kept
    (an alert names its rule), new rows get the next ones."""
    rows = [{k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in r.items()}
            for r in frame.to_dict("records")]
    for r in rows:
        check_rule(r)
    with wh.begin() as conn:
        top = conn.execute(sa.select(sa.func.coalesce(sa.func.max(alert_rules.c.rule_id), 0))).scalar()
        conn.execute(alert_rules.delete())
        for r in rows:
            if r.get("rule_id") is None:
                top += 1
                r["rule_id"] = top
            conn.execute(alert_rules.insert().values(
                rule_id=int(r["rule_id"]), kind=r["kind"], kpi=r.get("kpi") or None,
                scope_level=r.get("scope_level") or "all", scope_value=r.get("scope_value") or None,
                threshold=r.get("threshold"), notify=r.get("notify") or "", enabled=bool(r.get("enabled", True)),
                updated_by=by, updated_at=datetime.now()))
    return len(rows)


# ------------------------------------------------------------------ evaluation and the alerts' life
def evaluate(wh, *, month: str | date, today: date | None = None, by: str = "system") -> list[int]:
    """Run every enabled rule for ``month`` (and ``today``, for the daily rules); record what is new.
    Returns the new alerts' ids."""
    m, today = parse_month(month), today or date.today()
    new = []
    for row in rules(wh).to_dict("records"):
        rule = _rule(row)
        if not rule.enabled:
            continue
        for occ in KINDS[rule.kind].evaluate(wh, rule, m, today):
            new += _record(wh, rule, occ, by)
    return new


def link(occ: Occurrence) -> str:
    return f"/{occ.page}" + (f"?{urlencode(occ.query)}" if occ.query else "")


def _record(wh, rule: Rule, occ: Occurrence, by: str) -> list[int]:
    with wh.begin() as conn:
        seen = conn.execute(sa.select(alerts.c.alert_id).where(
            (alerts.c.rule_id == rule.rule_id) & (alerts.c.occurrence == occ.occurrence))).first()
        if seen:
            return []
        alert_id = conn.execute(sa.select(sa.func.coalesce(sa.func.max(alerts.c.alert_id), 0))).scalar() + 1
        now = datetime.now()
        conn.execute(alerts.insert().values(
            alert_id=alert_id, rule_id=rule.rule_id, kind=rule.kind, occurrence=occ.occurrence, period=occ.period,
            region=occ.region, store=occ.store, team=occ.team, subject=occ.subject, kpi=occ.kpi, value=occ.value,
            detail=json.dumps(occ.detail, ensure_ascii=False, default=str), link=link(occ), status="open",
            opened_at=now))
        conn.execute(alert_log.insert().values(alert_id=alert_id, action="opened", by_whom=by, logged_at=now, note=""))
    return [alert_id]


def visible(wh, scope: Scope, statuses=STATUSES) -> pd.DataFrame:
    """The alerts a viewer of ``scope`` may see (their region / store / team within it), newest first."""
    with wh.connect() as conn:
        df = pd.read_sql(sa.select(alerts).where(alerts.c.status.in_(list(statuses))).order_by(
            alerts.c.alert_id.desc()), conn)
    return df[scope.mask(df)].reset_index(drop=True) if not df.empty else df


def set_status(wh, alert_id: int, status: str, *, by: str, scope: Scope, note: str = "") -> None:
    """Acknowledge or resolve (or reopen) an alert the viewer may see; who and when are recorded."""
    if status not in STATUSES:
        raise AlertError("alerts.unknown_status", status=status)
    if alert_id not in set(visible(wh, scope)["alert_id"]):
        raise AlertError("alerts.not_found", alert=alert_id)
    now = datetime.now()
    values = {"status": status}
    if status == "acknowledged":
        values |= {"acknowledged_by": by, "acknowledged_at": now}
    elif status == "resolved":
        values |= {"resolved_by": by, "resolved_at": now}
    with wh.begin() as conn:
        conn.execute(alerts.update().where(alerts.c.alert_id == alert_id).values(**values))
        conn.execute(alert_log.insert().values(alert_id=alert_id, action=status, by_whom=by, logged_at=now, note=note))


UNITS = {"seat": "percent", "installer_strike": "points", "install_callbacks": "percent"}   # an alert's value


def describe(row: dict, lang: str = texts.DEFAULT) -> str:
    """An alert's sentence in ``lang`` (the page, the robots, the e-mails): its kind's message with its
    parameters, the value in its unit.  The parameters come from data: callers show it as text."""
    detail = json.loads(row.get("detail") or "{}")
    value = row.get("value")
    if row["kind"] == "off_target" and row.get("kpi") in BY_KEY:
        unit = BY_KEY[row["kpi"]].unit
        detail |= {"kpi": BY_KEY[row["kpi"]].label_in(lang), "target": fmt.value(detail.get("target"), unit, lang)}
        shown = fmt.value(value, unit, lang)
    else:
        shown = "" if fmt.is_empty(value) else fmt.value(value, UNITS.get(row["kind"], "count"), lang)
    if row["kind"] == "seat":
        detail["drop"] = f"{float(detail.get('drop', 0.05)) * 100:.1f}pp"
    return texts.text(f"alerts.msg.{row['kind']}", lang, **{**{k: str(v) for k, v in detail.items()}, "value": shown})


def history(wh, alert_id: int) -> pd.DataFrame:
    with wh.connect() as conn:
        return pd.read_sql(sa.select(alert_log).where(alert_log.c.alert_id == alert_id).order_by(alert_log.c.logged_at),
                           conn)
