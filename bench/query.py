"""Query figures: the overview's KPI set for one month by team.

- ours: ``metrics.compute`` (the builder every page uses: scope, roster periods, settings);
- hand-written: one DuckDB statement a data engineer would write for the same 15 figures with
  the default settings and a one-row-per-agent roster (which the generated chain has);
- pandas: the same figures from DataFrames already in memory (loading them is not timed).

Before any timing counts, all three must give the same figures (to 1e-9): a fast wrong answer is
not a result.  Times are the best of three warm runs.
"""
from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd

from bench.measure import Figure, at_most, best_of, faster_by
from metrics import Scope, compute
from metrics.subjects import OVERVIEW_KPIS
from metrics.months import add_months, parse_month
from metrics.settings import DEFAULTS, Settings

NO_TEAM = "∅"


def hand_sql(month: date, s: Settings) -> str:
    start, end = month.isoformat(), add_months(month, 1).isoformat()
    vm = "TRUE" if s.voicemail_as_missed else "FALSE"
    cycle, rings, short = float(s.ring_cycle_seconds), int(s.answer_rings), int(s.short_abandon_rings)
    return f"""
    WITH r AS (SELECT agent_id, any_value(team) AS team, any_value(division) AS division FROM roster GROUP BY agent_id),
    calls AS (
        SELECT COALESCE(r.team, t.team) AS team, t.call_result, t.queue_seconds AS q, t.ring_seconds AS rs,
               COALESCE(t.channel = 'phone' AND t.direction = 'in' AND t.call_result IS NOT NULL
                        AND t.call_result <> 'not_offered' AND (t.call_result <> 'voicemail' OR {vm}), FALSE) AS offered,
               COALESCE(CAST(t.ring_count AS DOUBLE), ceil(t.ring_seconds / {cycle})) AS rings
        FROM tickets t LEFT JOIN r ON r.agent_id = t.agent_id
        WHERE t.created_at >= '{start}' AND t.created_at < '{end}'),
    calls2 AS (
        SELECT team, offered, rings, offered AND call_result = 'answered' AS answered,
               offered AND call_result IN ('missed', 'voicemail') AS missed,
               offered AND call_result IN ('missed', 'voicemail') AND COALESCE(rings <= {short}, FALSE) AS short,
               CASE WHEN q IS NOT NULL AND rs IS NOT NULL THEN q + rs WHEN rs IS NOT NULL THEN rs
                    ELSE rings * {cycle} END AS wait
        FROM calls),
    call_kpis AS (
        SELECT team,
               count(*) FILTER (answered AND rings <= {rings}) / nullif(count(*) FILTER (offered AND NOT short), 0)
                   AS answer_within_3_rings_rate,
               count(*) FILTER (answered) / nullif(count(*) FILTER (offered AND NOT short), 0) AS answer_rate,
               count(*) FILTER (missed) / nullif(count(*) FILTER (offered), 0) AS abandon_rate,
               sum(wait) FILTER (answered) / nullif(count(*) FILTER (answered AND wait IS NOT NULL), 0) AS asa_seconds,
               CAST(count(*) FILTER (offered) AS DOUBLE) AS offered_calls
        FROM calls2 GROUP BY team),
    cb AS (
        SELECT COALESCE(r.team, t.team) AS team, c.result, c.satisfaction
        FROM callbacks c LEFT JOIN tickets t ON t.ticket_id = c.ticket_id LEFT JOIN r ON r.agent_id = t.agent_id
        WHERE c.callback_at >= '{start}' AND c.callback_at < '{end}'),
    cb_kpis AS (
        SELECT team,
               count(*) FILTER (satisfaction IN ('A', 'B')) / nullif(count(satisfaction), 0) AS satisfaction_rate,
               sum(CASE satisfaction WHEN 'A' THEN 5 WHEN 'B' THEN 3 WHEN 'C' THEN 0 WHEN 'D' THEN -5 END)
                   / nullif(count(satisfaction), 0) AS satisfaction_points,
               count(*) FILTER (result = 'reached') / count(*) AS callback_reach_rate,
               CAST(count(*) FILTER (satisfaction IN ('C', 'D')) AS DOUBLE) AS dissatisfied
        FROM cb GROUP BY team),
    resolved AS (
        SELECT COALESCE(r.team, t.team) AS team,
               COALESCE(COALESCE(t.division, r.division) = 'aftersales', FALSE) AS aftersales,
               EXISTS (SELECT 1 FROM callbacks c WHERE c.ticket_id = t.ticket_id) AS has_callback
        FROM tickets t LEFT JOIN r ON r.agent_id = t.agent_id
        WHERE t.resolved_at >= '{start}' AND t.resolved_at < '{end}' AND COALESCE(t.status, 'resolved') <> 'open'),
    resolved_kpis AS (
        SELECT team, count(*) FILTER (aftersales AND has_callback) / nullif(count(*) FILTER (aftersales), 0)
                   AS callback_coverage_rate
        FROM resolved GROUP BY team),
    sales_kpis AS (
        SELECT r.team,
               COALESCE(sum(s.amount - COALESCE(s.refund_amount, 0)) FILTER (s.status IN ('paid', 'completed')), 0)::DOUBLE
                   AS revenue,
               CAST(count(*) FILTER (s.status IN ('paid', 'completed')) AS DOUBLE) AS orders,
               sum(s.amount - COALESCE(s.refund_amount, 0)) FILTER (s.status IN ('paid', 'completed'))::DOUBLE
                   / nullif(count(*) FILTER (s.status IN ('paid', 'completed')), 0) AS aov
        FROM sales s LEFT JOIN r ON r.agent_id = s.agent_id
        WHERE s.ordered_at >= '{start}' AND s.ordered_at < '{end}'
        GROUP BY r.team),
    paid AS (
        SELECT r.team, s.customer_id, s.ordered_at
        FROM sales s LEFT JOIN r ON r.agent_id = s.agent_id
        WHERE s.ordered_at < '{end}' AND s.status IN ('paid', 'completed') AND s.customer_id IS NOT NULL),
    buyer_kpis AS (
        SELECT team, count(*) FILTER (is_returning) / count(*) AS returning_buyer_share
        FROM (SELECT p.team, p.customer_id, min(f.first_at) < '{start}' AS is_returning
              FROM paid p JOIN (SELECT team, customer_id, min(ordered_at) AS first_at FROM paid
                                GROUP BY team, customer_id) f
                ON f.customer_id = p.customer_id AND f.team IS NOT DISTINCT FROM p.team
              WHERE p.ordered_at >= '{start}'
              GROUP BY p.team, p.customer_id)
        GROUP BY team),
    inquiries AS (
        SELECT * FROM (
            SELECT COALESCE(r.team, t.team) AS team, t.customer_id, t.created_at,
                   row_number() OVER (PARTITION BY t.customer_id ORDER BY t.created_at, t.ticket_id) AS nth
            FROM tickets t LEFT JOIN r ON r.agent_id = t.agent_id
            WHERE t.created_at >= '{start}' AND t.created_at < '{end}' AND t.customer_id IS NOT NULL
              AND COALESCE(t.division, r.division) = 'presales')
        WHERE nth = 1),
    inquiry_kpis AS (
        SELECT team, count(*) FILTER (EXISTS (
                   SELECT 1 FROM sales p WHERE p.customer_id = i.customer_id AND p.status IN ('paid', 'completed')
                      AND COALESCE(p.paid_at, p.ordered_at) >= i.created_at
                      AND COALESCE(p.paid_at, p.ordered_at) < CAST(i.created_at AS DATE) + {s.window_days + 1}))
                   / count(*) AS inquiry_conversion_rate
        FROM inquiries i GROUP BY team)
    SELECT team, kpi, value FROM (UNPIVOT call_kpis ON COLUMNS(* EXCLUDE team) INTO NAME kpi VALUE value)
    UNION ALL BY NAME SELECT team, kpi, value FROM (UNPIVOT cb_kpis ON COLUMNS(* EXCLUDE team) INTO NAME kpi VALUE value)
    UNION ALL BY NAME SELECT team, kpi, value FROM (UNPIVOT resolved_kpis ON COLUMNS(* EXCLUDE team) INTO NAME kpi VALUE value)
    UNION ALL BY NAME SELECT team, kpi, value FROM (UNPIVOT sales_kpis ON COLUMNS(* EXCLUDE team) INTO NAME kpi VALUE value)
    UNION ALL BY NAME SELECT team, kpi, value FROM (UNPIVOT buyer_kpis ON COLUMNS(* EXCLUDE team) INTO NAME kpi VALUE value)
    UNION ALL BY NAME SELECT team, kpi, value FROM (UNPIVOT inquiry_kpis ON COLUMNS(* EXCLUDE team) INTO NAME kpi VALUE value)
    """


# ------------------------------------------------------------------ pandas, on frames in memory
def frames(db: str) -> dict[str, pd.DataFrame]:
    """The four tables as DataFrames (what a notebook user has after reading the exports)."""
    import duckdb

    con = duckdb.connect(db, read_only=True)
    out = {name: con.sql(f"SELECT * EXCLUDE (load_id, line_no) FROM {name}").df()
           for name in ("roster", "tickets", "callbacks", "sales")}
    con.close()
    out["sales"]["amount"] = out["sales"]["amount"].astype(float)
    out["sales"]["refund_amount"] = out["sales"]["refund_amount"].astype(float)
    return out


def _long(wide: pd.DataFrame) -> pd.DataFrame:
    return wide.reset_index().melt(id_vars="team", var_name="kpi", value_name="value")


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return num / den.where(den != 0)


def pandas_kpis(fr: dict[str, pd.DataFrame], month: date, s: Settings) -> pd.DataFrame:
    start, end = pd.Timestamp(month), pd.Timestamp(add_months(month, 1))
    roster = fr["roster"].drop_duplicates("agent_id")[["agent_id", "team", "division"]]
    roster = roster.rename(columns={"team": "r_team", "division": "r_division"})
    tickets = fr["tickets"]
    parts = []

    # calls
    t = tickets[(tickets["created_at"] >= start) & (tickets["created_at"] < end)].merge(roster, on="agent_id", how="left")
    team = t["r_team"].fillna(t["team"])
    result = t["call_result"]
    offered = ((t["channel"] == "phone") & (t["direction"] == "in") & result.notna() & (result != "not_offered")
               & ((result != "voicemail") | s.voicemail_as_missed)).fillna(False).astype(bool)
    rings = t["ring_count"].astype(float).fillna(np.ceil(t["ring_seconds"] / s.ring_cycle_seconds))
    answered = offered & (result == "answered").fillna(False).astype(bool)
    missed = offered & result.isin(["missed", "voicemail"])
    short = missed & (rings <= s.short_abandon_rings).fillna(False).astype(bool)
    q, rs = t["queue_seconds"], t["ring_seconds"]
    wait = np.where(q.notna() & rs.notna(), q + rs, np.where(rs.notna(), rs, rings * s.ring_cycle_seconds))
    wait = pd.Series(wait, index=t.index)
    g = pd.DataFrame({"team": team.fillna(NO_TEAM), "within": answered & (rings <= s.answer_rings),
                      "base": offered & ~short, "answered": answered, "missed": missed, "offered": offered,
                      "wait": wait.where(answered), "wait_n": answered & wait.notna()}).groupby("team").sum()
    parts.append(_long(pd.DataFrame({
        "answer_within_3_rings_rate": _ratio(g["within"], g["base"]), "answer_rate": _ratio(g["answered"], g["base"]),
        "abandon_rate": _ratio(g["missed"], g["offered"]), "asa_seconds": _ratio(g["wait"], g["wait_n"]),
        "offered_calls": g["offered"].astype(float)})))

    # callbacks, with their ticket's team
    cbs = fr["callbacks"]
    c = cbs[(cbs["callback_at"] >= start) & (cbs["callback_at"] < end)]
    c = c.merge(tickets[["ticket_id", "agent_id", "team"]], on="ticket_id", how="left").merge(roster, on="agent_id",
                                                                                             how="left")
    sat = c["satisfaction"]
    points = sat.map({"A": 5, "B": 3, "C": 0, "D": -5}).astype(float)
    g = pd.DataFrame({"team": c["r_team"].fillna(c["team"]).fillna(NO_TEAM), "ab": sat.isin(["A", "B"]),
                      "graded": sat.notna(), "points": points, "reached": c["result"] == "reached",
                      "cd": sat.isin(["C", "D"]), "n": 1}).groupby("team").sum()
    parts.append(_long(pd.DataFrame({
        "satisfaction_rate": _ratio(g["ab"], g["graded"]), "satisfaction_points": _ratio(g["points"], g["graded"]),
        "callback_reach_rate": _ratio(g["reached"], g["n"]), "dissatisfied": g["cd"].astype(float)})))

    # callback coverage over tickets resolved in the month
    r = tickets[(tickets["resolved_at"] >= start) & (tickets["resolved_at"] < end)
                & (tickets["status"].fillna("resolved") != "open")].merge(roster, on="agent_id", how="left")
    after = (r["division"].fillna(r["r_division"]) == "aftersales").fillna(False).astype(bool)
    has_cb = r["ticket_id"].isin(cbs["ticket_id"])
    g = pd.DataFrame({"team": r["r_team"].fillna(r["team"]).fillna(NO_TEAM), "after": after,
                      "covered": after & has_cb}).groupby("team").sum()
    parts.append(_long(pd.DataFrame({"callback_coverage_rate": _ratio(g["covered"], g["after"])})))

    # sales
    sales = fr["sales"].merge(roster, on="agent_id", how="left")
    is_paid = sales["status"].isin(["paid", "completed"])
    net = sales["amount"] - sales["refund_amount"].fillna(0)
    m = (sales["ordered_at"] >= start) & (sales["ordered_at"] < end)
    g = pd.DataFrame({"team": sales.loc[m, "r_team"].fillna(NO_TEAM), "net": net[m].where(is_paid[m], 0.0),
                      "paid": is_paid[m]}).groupby("team").sum()
    parts.append(_long(pd.DataFrame({"revenue": g["net"], "orders": g["paid"].astype(float),
                                     "aov": _ratio(g["net"], g["paid"])})))

    # returning buyers: a buyer whose first paid order in the same team (and scope) is before the month
    p = sales[is_paid & sales["customer_id"].notna() & (sales["ordered_at"] < end)]
    p = p.assign(team=p["r_team"].fillna(NO_TEAM))
    first = p.groupby(["team", "customer_id"])["ordered_at"].min()
    now = p[p["ordered_at"] >= start]
    buyers = now[["team", "customer_id"]].drop_duplicates()
    buyers["returning"] = [first[(t, c)] < start for t, c in zip(buyers["team"], buyers["customer_id"])]
    g = buyers.groupby("team")["returning"].agg(["sum", "count"])
    parts.append(_long(pd.DataFrame({"returning_buyer_share": g["sum"] / g["count"]})))

    # inquiry conversion: first pre-sales ticket of each customer in the month
    pre = t[t["customer_id"].notna() & (t["division"].fillna(t["r_division"]) == "presales").fillna(False).astype(bool)]
    pre = pre.assign(team_=team[pre.index]).sort_values(["created_at", "ticket_id"]).drop_duplicates("customer_id")
    pay = sales.loc[is_paid & sales["customer_id"].notna(), ["customer_id", "paid_at", "ordered_at"]]
    pay = pay.assign(at=pay["paid_at"].fillna(pay["ordered_at"]))[["customer_id", "at"]]
    j = pre[["customer_id", "created_at"]].reset_index().merge(pay, on="customer_id")
    window_end = j["created_at"].dt.normalize() + pd.Timedelta(days=s.window_days + 1)
    hit = set(j.loc[(j["at"] >= j["created_at"]) & (j["at"] < window_end), "index"])
    g = pd.DataFrame({"team": pre["team_"].fillna(NO_TEAM), "conv": pre.index.isin(hit)}).groupby("team")["conv"]
    parts.append(_long(pd.DataFrame({"inquiry_conversion_rate": g.sum() / g.count()})))
    return pd.concat(parts, ignore_index=True)


# ------------------------------------------------------------------ the figures
def as_dict(df: pd.DataFrame) -> dict[tuple[str, str], float]:
    teams = df["team"].astype(object).where(df["team"].notna(), NO_TEAM)
    return {(tm, k): float(v) for tm, k, v in zip(teams, df["kpi"], df["value"].astype(float))}


def same(a: dict, b: dict) -> list[str]:
    """Differences between two {(team, kpi): value} (NaN equals NaN; a missing NaN equals a NaN)."""
    diffs = []
    for key in sorted(set(a) | set(b), key=str):
        x, y = a.get(key, math.nan), b.get(key, math.nan)
        if math.isnan(x) and math.isnan(y):
            continue
        if math.isnan(x) or math.isnan(y) or not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9):
            diffs.append(f"{key}: {x} ≠ {y}")
    return diffs


def builder_seconds(db: str, month: date) -> tuple[float, pd.DataFrame]:
    from warehouse import open_warehouse

    wh = open_warehouse(db, create=False)
    run = lambda: compute(wh, OVERVIEW_KPIS, months=[month], dims=("team",), scope=Scope.all())  # noqa: E731
    run()  # warm: the file's pages in the OS cache, the modules imported
    seconds, df = best_of(run)
    wh.dispose()
    return seconds, df


def query_figures(db: str, small_db: str | None, month: str, rows: int, small_rows: int,
                  log=print) -> list[Figure]:
    import duckdb

    m = parse_month(month)
    settings = DEFAULTS
    log("  查询：我们的构建器")
    ours, ours_df = builder_seconds(db, m)
    ours_values = {k: v for k, v in as_dict(ours_df).items() if k[1] in OVERVIEW_KPIS}

    log("  查询：手写 DuckDB SQL")
    con = duckdb.connect(db, read_only=True)
    sql = hand_sql(m, settings)
    con.execute(sql).df()
    hand, hand_df = best_of(lambda: con.execute(sql).df())
    con.close()
    diffs = same(ours_values, as_dict(hand_df))
    if diffs:
        raise RuntimeError("手写 SQL 与构建器的结果不同：\n" + "\n".join(diffs[:20]))

    log("  查询：pandas（数据已在内存）")
    fr = frames(db)
    pandas_s, pandas_df = best_of(lambda: pandas_kpis(fr, m, settings))
    del fr
    diffs = same(ours_values, as_dict(pandas_df))
    if diffs:
        raise RuntimeError("pandas 与构建器的结果不同：\n" + "\n".join(diffs[:20]))

    label = f"总览 {len(OVERVIEW_KPIS)} 项 KPI，{month} 按班组（{rows:,} 行工单）"
    figures = [
        Figure("查询 query", label, ours, "s", "手写 DuckDB SQL", hand, "≤ 1.5×", at_most(1.5),
               note=f"{len(ours_values)} 个数字一致"),
        Figure("查询 query", label, ours, "s", "pandas groupby（内存中）", pandas_s, "快 ≥ 5×", faster_by(5.0),
               note=f"{len(ours_values)} 个数字一致"),
    ]
    if small_db:
        log("  查询：十分之一规模")
        small, _ = builder_seconds(small_db, m)
        figures.append(Figure("查询 query", f"同上，{small_rows:,} → {rows:,} 行", ours, "s",
                              f"{small_rows:,} 行时的构建器", small, "增长 ≤ 10×", at_most(10.0)))
    return figures
