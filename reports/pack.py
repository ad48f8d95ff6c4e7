"""The monthly review pack (月度经营分析会): a month and a scope's figures, built once and frozen.

``build`` computes every section through the metric layer and the appraisal (the viewer's scope
plus the pack's own scope as a filter, so a pack never shows rows its viewer may not see, nor rows
of another region).  ``create`` stores the built sections as JSON in ``review_packs`` with the
settings and the rules version that made them; ``open_pack`` reads them back unchanged, whatever
was loaded since; ``refresh`` rebuilds deliberately and logs who and when (``review_pack_log``).

Comments (per section) and action items live beside the frozen figures and are edited during the
meeting: they are not frozen.  A pack shows its scope's actions created in its month or earlier
that were still open at the start of the month or closed since, with their current status — so an
unfinished action is carried into every following month's pack until it is closed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
import json

import numpy as np
import pandas as pd
import sqlalchemy as sa

from appraisal.month import appraisal
from appraisal.publish import plans
from appraisal.rules import rules_for
from loaders.status import has_rows
from metrics import Filters, Scope, attribution, compute, load_settings
from metrics.compare import days_loaded, with_comparisons
from metrics.months import add_months, days_in_month, month_key, parse_month
from metrics.settings import SETTINGS
from metrics.subjects import MATRIX_KPIS, PACK_SUBJECTS, SUMMARY_KPIS
from metrics.targets import attach, load_targets
from reports.errors import ReportError
import texts
from texts import Message
from warehouse.safety import json_value
from warehouse.schema import review_actions, review_comments, review_pack_log, review_packs

LEVELS = ("all", "region", "store", "team")   # words: catalog texts level.<level>
# the pack's sections in order (titles: catalog texts pack.<key>); the subjects' come from metrics/subjects.py
SECTIONS = ("cover", "summary", "why", *PACK_SUBJECTS, "matrix", "appraisal", "actions", "quality")
OPTIONAL = frozenset(k for k, s in PACK_SUBJECTS.items() if s.needs)   # only when their exports are loaded
# 变化归因: the summary's ratio KPIs since the month before, split one level below the pack's scope
WHY_BY = {"all": "region", "region": "store", "store": "team", "team": "agent"}
WHY_GROUPS = 8    # the groups that moved each KPI most; the rest are folded into one row
ACTION_STATUS = ("open", "doing", "done", "dropped",)   # words: catalog texts action.<key>


@dataclass(frozen=True)
class PackScope:
    """What a pack covers: everything, or one region / store / team."""
    level: str = "all"
    value: str | None = None

    def __post_init__(self):
        if self.level not in LEVELS:
            raise ReportError("report.unknown_level", level=self.level)
        if (self.level == "all") != (self.value is None):
            raise ReportError("report.level_value")

    @property
    def filters(self) -> Filters:
        return Filters() if self.level == "all" else Filters.of(**{self.level: [self.value]})

    def label(self, lang: str = "zh") -> str:
        name = texts.text(f"level.{self.level}", lang)
        return name if self.level == "all" else texts.text("level.named", lang, level=name, value=self.value)


@dataclass
class Table:
    title: str
    frame: pd.DataFrame
    kind: str = "table"      # "table" | "wide" (kpi ids as columns) | "long" (one kpi per row)


@dataclass
class Pack:
    month: date
    scope: PackScope
    meta: dict                                   # created_by/at, settings, rules_version, data_version…
    sections: dict[str, list[Table]] = field(default_factory=dict)
    pack_id: int | None = None

    def keys(self) -> list[str]:
        """The sections this pack shows, in order: every section but the cover, less a subject that
        needs exports the warehouse did not hold when it was built (stores, customers)."""
        return [k for k in SECTIONS if k != "cover" and (k in self.sections or k not in OPTIONAL)]


# ------------------------------------------------------------------ building
def _wide(df: pd.DataFrame, by: list[str], kpis: list[str]) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame(columns=[*by, *kpis])
    out = df.pivot_table(index=by, columns="kpi", values="value", aggfunc="first", dropna=False).reset_index()
    out.columns.name = None
    for k in kpis:
        if k not in out.columns:
            out[k] = np.nan
    return out[[*by, *kpis]]


def build(wh, month: str | date, scope: PackScope, *, viewer: Scope) -> Pack:
    m = parse_month(month)
    settings = load_settings(wh)
    targets = load_targets(wh)
    flt = scope.filters
    kw = dict(filters=flt, scope=viewer, settings=settings)
    six = [add_months(m, -k) for k in range(5, -1, -1)]

    summary = with_comparisons(wh, list(SUMMARY_KPIS), months=[m], **kw)
    summary = attach(summary, targets, as_of=m)
    summary = summary[["kpi", "value", "target", "status", "mom_delta", "mom_flag", "yoy_delta", "yoy_flag",
                       "numerator", "denominator"]]
    summary = summary.set_index("kpi").reindex(list(SUMMARY_KPIS)).reset_index()

    def by(kpis, dims, months=(m,)):
        return _wide(compute(wh, kpis, months=list(months), dims=dims, **kw), list(dims), kpis)

    sections: dict[str, list[Table]] = {
        "summary": [Table("pack.t.summary", summary, "long")],
        "why": _why(wh, m, scope, kw),
        # each subject: its 6-month trend, then its breakdowns (metrics/subjects.py)
        **{key: [Table("pack.t.trend", by(list(s.pack), ("month",), six), "wide"),
                 *(Table(f"pack.t.by_{d}", by(list(s.pack), (d,)), "wide") for d in s.pack_by)]
           for key, s in PACK_SUBJECTS.items() if not s.needs or any(has_rows(wh, k) for k in s.needs)},
        "matrix": [],
        "appraisal": [],
        "quality": _quality(wh, m, viewer, flt),
    }
    for kpi in MATRIX_KPIS:
        long = compute(wh, [kpi], months=six, dims=("team", "month"), **kw)
        grid = (long.pivot_table(index="team", columns="month", values="value", aggfunc="first").reset_index()
                if not long.empty else pd.DataFrame(columns=["team"]))
        grid.columns.name = None
        sections["matrix"].append(Table(kpi, grid, "matrix"))
    for division in ("presales", "aftersales"):
        sections["appraisal"].append(Table(division, _appraisal_table(wh, m, division, viewer, flt), "appraisal"))
    rules = rules_for(wh, m)
    meta = {"month": month_key(m), "scope": scope.label(), "viewer": viewer.describe(),
            "settings": settings.describe(tuple(SETTINGS)),
            "rules_version": rules.version, "data_version": wh.data_version(),
            "built_at": datetime.now().replace(microsecond=0).isoformat(sep=" "),
            # the frozen descriptions in every language, so the English documents read in English
            "texts": {lang: {"scope": scope.label(lang), "viewer": viewer.describe(lang),
                             "settings": settings.describe(tuple(SETTINGS), lang)} for lang in texts.LANGS}}
    return Pack(m, scope, meta, sections)


def _why(wh, m: date, scope: PackScope, kw: dict) -> list[Table]:
    """Per ratio KPI of the summary: its change since the month before, per region (per store of a
    region's pack, …) with each group's rate and mix effect (``metrics.attribution``); the title is
    the KPI, the group column is named by its dimension."""
    by = WHY_BY[scope.level]
    frames = attribution.explain_all(wh, SUMMARY_KPIS, month=m, by=(by,), **kw)
    return [Table(kpi, attribution.top(frame, WHY_GROUPS).rename(columns={"group": by}), "attribution")
            for kpi, frame in frames.items()]


def meta_value(pack: "Pack", key: str, lang: str = texts.DEFAULT):
    """A frozen description (scope, viewer, settings) in ``lang``; a pack frozen before the catalog has
    only its Chinese one."""
    return pack.meta.get("texts", {}).get(lang, {}).get(key, pack.meta.get(key))


def _appraisal_table(wh, m: date, division: str, viewer: Scope, flt: Filters) -> pd.DataFrame:
    month = appraisal(wh, m, division, scope=viewer)
    frame = month.frame
    frame = frame[Scope.of(flt.region, flt.store, flt.team).mask(frame)] if not frame.empty else frame
    status = plans(wh, m, division).set_index("agent_id")["status"] if not frame.empty else pd.Series(dtype=str)
    out = pd.DataFrame({
        "rank": frame.get("rank", pd.Series(dtype="int64")), "agent_id": frame.get("agent_id"),
        "agent_name": frame.get("agent_name"), "team": frame.get("team"), "score": frame.get("composite"),
        "pay": frame.get("pay"), "flags": [";".join(f) for f in frame.get("flags", [])],
    })
    out["plan"] = out["agent_id"].map(status) if len(out) else pd.Series(dtype=str)
    out["published"] = bool(month.published)
    return out.reset_index(drop=True)


def _quality(wh, m: date, viewer: Scope, flt: Filters) -> list[Table]:
    """Rows rejected by the loads, days of the month without data per source, orphan callbacks."""
    with wh.connect() as conn:
        loads = pd.DataFrame(conn.execute(sa.text(
            "SELECT kind, COUNT(*) AS files, SUM(rows_read) AS rows_read, SUM(rows_rejected) AS rows_rejected, "
            "SUM(rows_skipped) AS rows_skipped, SUM(orphans) AS orphans FROM load_log GROUP BY kind ORDER BY kind"
        )).fetchall(), columns=["kind", "files", "rows_read", "rows_rejected", "rows_skipped", "orphans"])
        orphans = conn.execute(sa.text(
            "SELECT COUNT(*) FROM callbacks c WHERE c.callback_at >= :a AND c.callback_at < :b "
            "AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.ticket_id = c.ticket_id)"),
            {"a": m, "b": add_months(m, 1)}).scalar()
    days = days_loaded(wh, [m])
    total = days_in_month(m)
    # kinds as codes: a document names them in its own language (reports/render.cell)
    coverage = pd.DataFrame([{"source": src.split(".")[0], "days_loaded": n,
                              "days_missing": total - n} for (src, mm), n in sorted(days.items()) if mm == m])
    orphan = pd.DataFrame([{"month": month_key(m), "orphan_callbacks": int(orphans or 0)}])
    return [Table("pack.t.loads", loads), Table("pack.t.coverage", coverage), Table("pack.t.orphans", orphan)]


# ------------------------------------------------------------------ storing
def _dump(pack: Pack) -> str:
    return json.dumps({"meta": pack.meta, "sections": {
        key: [{"title": t.title, "kind": t.kind, "columns": [str(c) for c in t.frame.columns],
               "rows": [[json_value(v) for v in row] for row in t.frame.itertuples(index=False)]} for t in tables]
        for key, tables in pack.sections.items()}}, ensure_ascii=False)


def _load(text: str) -> tuple[dict, dict[str, list[Table]]]:
    data = json.loads(text)
    sections = {key: [Table(t["title"], pd.DataFrame(t["rows"], columns=t["columns"]), t["kind"]) for t in tables]
                for key, tables in data["sections"].items()}
    return data["meta"], sections


def _find(conn, m: date, scope: PackScope, viewer: Scope):
    """A pack is kept per month, pack scope and viewer scope (``Scope.key``): a viewer never opens
    figures built for a wider scope than theirs.  Packs stored before the key existed carry the
    display text ``Scope.describe()``; the first open finds such a pack and rewrites it to the key."""
    where = ((review_packs.c.month == m) & (review_packs.c.scope_level == scope.level)
             & (review_packs.c.scope_value.is_(None) if scope.value is None else review_packs.c.scope_value == scope.value))
    cols = (review_packs.c.pack_id, review_packs.c.content, review_packs.c.created_by, review_packs.c.created_at,
            review_packs.c.refreshed_at)
    found = conn.execute(sa.select(*cols).where(where & (review_packs.c.viewer_scope == viewer.key()))).fetchone()
    if found is None:
        found = conn.execute(sa.select(*cols).where(where & (review_packs.c.viewer_scope == viewer.describe()))
                             ).fetchone()
        if found is not None:   # the migration of a pack stored under the display text
            conn.execute(review_packs.update().where(review_packs.c.pack_id == found.pack_id)
                         .values(viewer_scope=viewer.key()))
            conn.commit()
    return found


def create(wh, month: str | date, scope: PackScope, *, viewer: Scope, by: str, refresh: bool = False) -> Pack:
    """The stored pack of the month and scope; built and frozen now if there is none (or ``refresh``)."""
    m = parse_month(month)
    with wh.connect() as conn:
        found = _find(conn, m, scope, viewer)
    if found and not refresh:
        return open_pack(wh, m, scope, viewer=viewer)
    pack = build(wh, m, scope, viewer=viewer)
    now = datetime.now().replace(microsecond=0)
    with wh.begin() as conn:
        if found:
            conn.execute(review_packs.update().where(review_packs.c.pack_id == found.pack_id).values(
                content=_dump(pack), refreshed_at=now, rules_version=pack.meta["rules_version"]))
            pack_id = found.pack_id
        else:
            pack_id = int(conn.execute(sa.text("SELECT COALESCE(MAX(pack_id), 0) + 1 FROM review_packs")).scalar())
            conn.execute(review_packs.insert().values(
                pack_id=pack_id, month=m, scope_level=scope.level, scope_value=scope.value,
                viewer_scope=viewer.key(), content=_dump(pack),
                rules_version=pack.meta["rules_version"], created_by=by, created_at=now))
        conn.execute(review_pack_log.insert().values(pack_id=pack_id, action="refresh" if found else "create",
                                                      by_user=by, logged_at=now))
    return open_pack(wh, m, scope, viewer=viewer)


def open_pack(wh, month: str | date, scope: PackScope, *, viewer: Scope) -> Pack | None:
    m = parse_month(month)
    with wh.connect() as conn:
        found = _find(conn, m, scope, viewer)
    if not found:
        return None
    meta, sections = _load(found.content)
    meta = {**meta, "created_by": found.created_by, "created_at": str(found.created_at),
            "refreshed_at": str(found.refreshed_at) if found.refreshed_at else None}
    return Pack(m, scope, meta, sections, found.pack_id)


def pack_log(wh, pack_id: int) -> pd.DataFrame:
    with wh.connect() as conn:
        return pd.read_sql(sa.text("SELECT action, by_user, logged_at FROM review_pack_log WHERE pack_id = :p ORDER BY logged_at"),
                           conn, params={"p": pack_id})


# ------------------------------------------------------------------ comments and actions
def comments(wh, pack_id: int) -> dict[str, str]:
    with wh.connect() as conn:
        rows = conn.execute(sa.text("SELECT section, body FROM review_comments WHERE pack_id = :p ORDER BY updated_at"),
                            {"p": pack_id}).fetchall()
    return {s: b for s, b in rows}


def save_comment(wh, pack_id: int, section: str, body: str, *, by: str) -> None:
    if section not in SECTIONS:
        raise ReportError("report.unknown_section", section=section)
    now = datetime.now().replace(microsecond=0)
    with wh.begin() as conn:
        conn.execute(review_comments.delete().where((review_comments.c.pack_id == pack_id)
                                                    & (review_comments.c.section == section)))
        conn.execute(review_comments.insert().values(pack_id=pack_id, section=section, body=body, updated_by=by,
                                                     updated_at=now))


def add_action(wh, month: str | date, scope: PackScope, *, title: str, owner: str, due: date, by: str,
               section: str | None = None) -> int:
    problems = [Message(p) for p, bad in (("report.action_title", not (title or "").strip()),
                                          ("report.action_owner", not (owner or "").strip()),
                                          ("report.action_due", due is None)) if bad]
    if problems:
        raise ReportError("report.problems", problems=problems)
    now = datetime.now().replace(microsecond=0)
    with wh.begin() as conn:
        action_id = int(conn.execute(sa.text("SELECT COALESCE(MAX(action_id), 0) + 1 FROM review_actions")).scalar())
        conn.execute(review_actions.insert().values(
            action_id=action_id, month=parse_month(month), scope_level=scope.level, scope_value=scope.value,
            section=section, title=title.strip(), owner=owner.strip(), due_date=due, status="open",
            updated_by=by, updated_at=now, closed_at=None))
    return action_id


def set_action_status(wh, action_id: int, status: str, *, by: str, at: datetime | None = None) -> None:
    if status not in ACTION_STATUS:
        raise ReportError("report.unknown_status", status=status, statuses=" / ".join(ACTION_STATUS))
    at = (at or datetime.now()).replace(microsecond=0)
    with wh.begin() as conn:
        conn.execute(review_actions.update().where(review_actions.c.action_id == action_id).values(
            status=status, updated_by=by, updated_at=at, closed_at=at if status in ("done", "dropped") else None))


def actions(wh, month: str | date, scope: PackScope) -> pd.DataFrame:
    """The scope's actions of this month and those carried from earlier months (still open at this
    month's start, or closed since), with their current status."""
    m = parse_month(month)
    where = "scope_level = :l AND " + ("scope_value IS NULL" if scope.value is None else "scope_value = :v")
    with wh.connect() as conn:
        df = pd.read_sql(sa.text(
            f"SELECT action_id, month, section, title, owner, due_date, status, updated_by, updated_at, closed_at "
            f"FROM review_actions WHERE {where} AND month <= :m AND (closed_at IS NULL OR closed_at >= :m) "
            f"ORDER BY month, action_id"), conn, params={"l": scope.level, "v": scope.value, "m": m})
    if not df.empty:
        df["carried"] = pd.to_datetime(df["month"]).dt.date < m
    else:
        df["carried"] = pd.Series(dtype=bool)
    return df
