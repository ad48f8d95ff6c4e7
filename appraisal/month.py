"""A division's appraisal for one month: every formal agent's card, the ranking and the flags.

``month_cards`` is the month as the data and inputs make it now (live); ``appraisal`` is what
everyone sees: the frozen publication when the month is published (``appraisal.publish``), else the
live cards, with the three-month streaks and the viewer's scope applied last — the ranking is over
the whole division, whoever looks.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
import json

import numpy as np
import pandas as pd
import sqlalchemy as sa

from appraisal import counts
from appraisal.errors import AppraisalError
from appraisal.rules import DISCIPLINE_ITEMS, PRESALES_ITEMS, Rules, rules_for
from appraisal.scorecard import AFTERSALES_ITEMS, FLAGS, Card, aftersales_card, presales_card
from metrics.months import add_months, last_day, month_key, parse_month
from metrics.scope import Scope
from metrics.settings import load_settings
import texts

DIVISIONS = ("presales", "aftersales")   # words: catalog texts value.<division>
ID_COLUMNS = ["agent_id", "agent_name", "team", "region", "store"]
ITEM_COLUMNS = {
    "presales": [*PRESALES_ITEMS, "qa", "business", *DISCIPLINE_ITEMS, "b_total", "discipline", "exam"],
    "aftersales": [*AFTERSALES_ITEMS, "bonus", "penalty"],
}
RESULT_COLUMNS = ["total", "composite", "pay", "rank", "flags"]


def check_division(division: str) -> str:
    if division not in DIVISIONS:
        raise AppraisalError("appraisal.unknown_division", division=division)
    return division


def agents(wh, month: date, division: str) -> pd.DataFrame:
    """Formal agents of the division in the month: each agent's roster row in force at the latest
    point of the month they were active (a move mid-month counts where the agent ended the month)."""
    with wh.connect() as conn:
        df = pd.DataFrame(conn.execute(sa.text("""
            SELECT agent_id, agent_name, team, region, store, division, employment FROM (
                SELECT r.*, ROW_NUMBER() OVER (PARTITION BY agent_id ORDER BY active_from DESC NULLS LAST) AS nth
                FROM roster r
                WHERE (active_from IS NULL OR active_from <= :last) AND (active_to IS NULL OR active_to >= :first)
            ) x WHERE nth = 1"""), {"first": month, "last": last_day(month)}).mappings().fetchall(),
            columns=["agent_id", "agent_name", "team", "region", "store", "division", "employment"])
    df = df[(df["division"] == division) & (df["employment"].fillna("formal") == "formal")]
    return df[ID_COLUMNS].sort_values("agent_id").reset_index(drop=True)


def inputs(wh, month: date) -> dict[str, dict]:
    with wh.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM scorecard_inputs WHERE month = :m"), {"m": month}).mappings()
        return {r["agent_id"]: dict(r) for r in rows}


def _prior_insubordination(wh, month: date) -> dict[str, int]:
    with wh.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT agent_id, SUM(dis_insubordination) FROM scorecard_inputs WHERE month < :m GROUP BY agent_id"),
            {"m": month}).fetchall()
    return {a: int(n or 0) for a, n in rows}


@dataclass
class Month:
    """A division's month: the summary frame (one row per agent) and each agent's card."""
    month: date
    division: str
    frame: pd.DataFrame
    cards: dict[str, dict]            # agent_id → card as a dict (lines, parts, flags…)
    rules_version: str
    published: dict | None = None     # {"by", "at", "rules_version"} when frozen
    started: bool = True              # published, or someone of the division has inputs this month


def card_dict(card: Card) -> dict:
    return {"division": card.division, "lines": [line.__dict__ for line in card.lines], "parts": card.parts,
            "total": card.total, "composite": card.composite, "pay": card.pay, "flags": list(card.flags)}


def month_cards(wh, month: str | date, division: str, rules: Rules | None = None) -> Month:
    """The live appraisal of a month (no streaks, whole division)."""
    m, division = parse_month(month), check_division(division)
    rules = rules or rules_for(wh, m)
    settings = load_settings(wh)
    people = agents(wh, m, division)
    given = inputs(wh, m)
    cards: dict[str, Card] = {}
    if division == "presales":
        calls = counts.call_counts(wh, m, rules, settings).set_index("agent").to_dict("index")
        prior = _prior_insubordination(wh, m)
        for a in people["agent_id"]:
            cards[a] = presales_card(given.get(a), calls.get(a, {}), rules, prior.get(a, 0))
    else:
        handled = counts.handled_counts(wh, m, settings).set_index("agent")["handled"]
        graded = counts.callback_counts(wh, m, rules, settings).set_index("agent")
        own = {a: float(handled.get(a, 0)) for a in people["agent_id"]}
        mean = float(np.mean(list(own.values()))) if own else 0.0
        for a in people["agent_id"]:
            g = graded.loc[a] if a in graded.index else {"graded": 0, "points": 0.0}
            cards[a] = aftersales_card(given.get(a), own[a], mean, int(g["graded"]), float(g["points"]), rules)
    frame = _summary(people, cards, division, rules)
    return Month(m, division, frame, {a: card_dict(c) for a, c in cards.items()}, rules.version,
                 started=any(a in given for a in people["agent_id"]))


def _summary(people: pd.DataFrame, cards: dict[str, Card], division: str, rules: Rules) -> pd.DataFrame:
    rows = []
    for _, p in people.iterrows():
        card = cards[p["agent_id"]]
        rows.append({**p.to_dict(), **{k: card.parts.get(k) for k in ITEM_COLUMNS[division]},
                     "total": card.total, "composite": card.composite, "pay": card.pay, "flags": list(card.flags)})
    frame = pd.DataFrame(rows, columns=[*ID_COLUMNS, *ITEM_COLUMNS[division], *RESULT_COLUMNS[:3], "flags"])
    return rank(frame, rules)


def rank(frame: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Ranks with ties sharing (1, 2, 2, 4) on the score rounded to 0.01, and the bottom flag for
    every agent with fewer than ``bottom_n`` agents strictly below them (ties included)."""
    out = frame.copy()
    order = [*(c for c in frame.columns if c != "flags"), "rank", "flags", "last"]
    if out.empty:
        return out.assign(rank=pd.Series(dtype="int64"), last=pd.Series(dtype=bool))[order]
    score = out["composite"].astype(float).round(2)
    out["rank"] = score.rank(method="min", ascending=False).astype("int64")
    below = score.apply(lambda s: int((score < s).sum()))
    n = rules.int("ranking.bottom_n")
    out["flags"] = [[f for f in flags if f != "bottom"] + (["bottom"] if b < n else [])
                    for flags, b in zip(out["flags"], below)]
    out["last"] = below == 0
    return out[order]


def published_month(wh, month: date, division: str) -> Month | None:
    with wh.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT agent_id, record, rules_version, published_by, published_at FROM appraisal_published "
            "WHERE month = :m AND division = :d ORDER BY agent_id"), {"m": month, "d": division}).fetchall()
    if not rows:
        return None
    records = {a: json.loads(rec) for a, rec, *_ in rows}
    frame = pd.DataFrame([rec["row"] for rec in records.values()])
    frame["flags"] = [list(f) for f in frame["flags"]]
    _, _, version, by, at = rows[0]
    return Month(month, division, frame, {a: rec["card"] for a, rec in records.items()}, version,
                 {"by": by, "at": at, "rules_version": version})


def month_result(wh, month: str | date, division: str) -> Month:
    """The frozen publication if the month is published, else the live cards."""
    m, division = parse_month(month), check_division(division)
    return published_month(wh, m, division) or month_cards(wh, m, division)


def _streak_flags(wh, result: Month) -> pd.DataFrame:
    rules = rules_for(wh, result.month)
    n = rules.int("ranking.streak_months")
    frame = result.frame.copy()
    earlier = [published_month(wh, add_months(result.month, -k), result.division) for k in range(1, n)]
    history = [result.frame] + [p.frame if p else None for p in earlier]
    firsts = set.intersection(*(set(f.loc[f["rank"] == 1, "agent_id"]) if f is not None else set() for f in history))
    lasts = set.intersection(*(set(f.loc[f["last"], "agent_id"]) if f is not None else set() for f in history))
    frame["flags"] = [[x for x in flags if x not in ("top_streak", "bottom_streak")]
                      + (["top_streak"] if a in firsts else []) + (["bottom_streak"] if a in lasts else [])
                      for a, flags in zip(frame["agent_id"], frame["flags"])]
    return frame


def appraisal(wh, month: str | date, division: str, *, scope: Scope) -> Month:
    """The month as a viewer sees it: frozen or live, streak flags added, rows outside the viewer's
    scope removed (ranks stay those of the whole division)."""
    if not isinstance(scope, Scope):
        raise AppraisalError("metric.no_scope")
    result = month_result(wh, month, division)
    frame = _streak_flags(wh, result)
    frame = frame[scope.mask(frame)].sort_values(["rank", "agent_id"]).reset_index(drop=True)
    cards = {a: c for a, c in result.cards.items() if a in set(frame["agent_id"])}
    return Month(result.month, result.division, frame, cards, result.rules_version, result.published,
                 result.started)


def year_view(wh, year: int, division: str, *, scope: Scope, until: date | None = None) -> pd.DataFrame:
    """Agent × month score for the year's months up to ``until`` (12 columns), with the mean over the
    months the agent was appraised and the number of those months.  A month counts when it is
    published or has inputs (a month nobody entered is not an appraisal)."""
    months = [date(year, k, 1) for k in range(1, 13) if until is None or date(year, k, 1) <= until]
    frames = []
    for m in months:
        result = appraisal(wh, m, division, scope=scope)
        f = result.frame
        if result.started and not f.empty:
            frames.append(f.assign(month=month_key(m))[["agent_id", "agent_name", "team", "month", "composite"]])
    cols = [month_key(m) for m in months]
    if not frames:
        return pd.DataFrame(columns=["agent_id", "agent_name", "team", *cols, "mean", "months"])
    long = pd.concat(frames)
    names = long.drop_duplicates("agent_id", keep="last").set_index("agent_id")[["agent_name", "team"]]
    wide = long.pivot_table(index="agent_id", columns="month", values="composite", aggfunc="first")
    wide = wide.reindex(columns=cols)
    wide["mean"] = wide[cols].mean(axis=1)
    wide["months"] = wide[cols].notna().sum(axis=1)
    return names.join(wide).reset_index().sort_values("mean", ascending=False).reset_index(drop=True)


def flag_labels(flags, lang: str = "zh") -> str:
    return "、".join(texts.text(f"flag.{f}", lang) for f in flags if f in FLAGS)


def state_token(wh) -> str:
    """Changes whenever anything a scorecard depends on changes (loads, inputs edited in the app, rules,
    excusals, publications, plans): the pages' caches key on it."""
    parts = ["SELECT coalesce(max(load_id), 0) FROM load_log",
             "SELECT count(*) FROM scorecard_input_audit", "SELECT max(changed_at) FROM scorecard_input_audit",
             "SELECT count(*) FROM appraisal_rules", "SELECT max(updated_at) FROM appraisal_rules",
             "SELECT count(*) FROM appraisal_excusals", "SELECT count(*) FROM appraisal_publish_log",
             "SELECT max(updated_at) FROM rectification_plans"]
    with wh.connect() as conn:
        return "|".join(str(conn.execute(sa.text(q)).scalar()) for q in parts)
