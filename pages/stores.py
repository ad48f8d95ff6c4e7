"""门店: how a store is doing against its targets and its peers (issue 20).  The store scorecard (the
month's figures against the store targets export with red / amber / green and attainment, the trend,
rank among the stores of its type and size class, audit ranks), the league table of the stores in
view, drill-through to the rows, and promotion uplift against a same-weekday baseline.  Store
figures have no team, channel or agent: the page filters by region and store only (said under the
title when the sidebar has other filters)."""
from ui.router import ensure_routed

ensure_routed()
from datetime import date

import pandas as pd
import streamlit as st

from metrics.months import add_months, month_key, month_range
from metrics.registry import BY_KEY
from metrics.stores import LEAGUE_KPIS, SCORECARD_KPIS, store_filters
from metrics.subjects import SUBJECTS
from texts import fmt
from ui import charts, data
from ui.i18n import dim_label, kpi_label, lang, say, t, value_label
from ui.text import md
from ui.widgets import detail_link, downloads, page_view, status_chip

view = page_view("page.stores")
if store_filters(view.filters) != view.filters:
    st.caption(t("store.filters_ignored"))
filters = store_filters(view.filters)
args = (view.url, view.version, view.scope)

league = data.store_league(*args, filters, view.settings, view.months)
master = data.store_master(*args, filters)
names = sorted(set(master["store"].dropna()) | set(league["store"].dropna()))
if not names:
    st.info(t("store.none"))
    st.stop()
for problem in data.store_target_problems(*args):
    st.warning(md(say(problem)))

# ------------------------------------------------------------------ one store's scorecard
st.subheader(t("store.scorecard"))
store = st.selectbox(dim_label("store"), names, key="stores.store")
info = master[master["store"] == store]
if len(info):
    row = info.iloc[0]
    bits = [t("kv", key=dim_label("region"), value=value_label(row["region"])),
            t("kv", key=t("store.type"), value=value_label(row["store_type"])),
            t("kv", key=t("store.size"), value=value_label(row["size_class"]))]
    if not fmt.is_empty(row["area_sqm"]):
        bits.append(t("kv", key=t("store.area"), value=f"{row['area_sqm']:,.0f} m²"))
    if isinstance(row["opened_on"], date):
        bits.append(t("kv", key=t("store.opened"), value=str(row["opened_on"])))
    if isinstance(row["closed_on"], date):
        bits.append(t("kv", key=t("store.closed"), value=str(row["closed_on"])))
    st.caption(md(" · ".join(bits)))
else:
    st.caption(t("store.not_in_master"))

# the trend: the months chosen, or the 12 months to the one chosen (a single month is not a trend)
TREND = tuple(view.months) if len(view.months) > 1 else month_range(add_months(view.month, -11), view.month)
card = data.store_scorecard(view.url, view.version, view.scope, view.settings, store, TREND)
now = card[card["month"] == month_key(view.month)]
cols = st.columns(5)
shown = 0
for kpi in SCORECARD_KPIS:
    r = now[now["kpi"] == kpi]
    if r.empty or fmt.is_empty(r["value"].iloc[0]):
        continue
    r = r.iloc[0]
    unit = BY_KEY[kpi].unit
    lines = []
    if not fmt.is_empty(r["target"]):
        lines.append(f"{t('target')} {fmt.value(r['target'], unit, lang())} · {status_chip(r['status'])}")
        lines.append(t("store.attainment", value=fmt.value(r["attainment"], "percent", lang())))
    container = cols[shown % 5]
    container.metric(kpi_label(kpi), fmt.value(r["value"], unit, lang()), border=True, help=BY_KEY[kpi].about(lang()))
    if lines:
        container.caption(" · ".join(lines))
    shown += 1
if not shown:
    st.info(t("no_data_month", month=fmt.month_label(view.month, lang())))

left, right = st.columns(2)
trend = card[card["kpi"].isin(["revenue"])]
if len(trend):
    left.plotly_chart(charts.trend(trend, ["revenue"], t("store.trend")), theme=None, key="stores.trend")
peers = data.store_peers(view.url, view.version, view.scope, view.settings, store, (view.month,))
with right:
    st.markdown(f"**{t('store.peers')}**")
    if peers.empty:
        st.caption(t("store.no_peers"))
    else:
        st.dataframe(pd.DataFrame({
            t("col.kpi"): [kpi_label(k) for k in peers["kpi"]],
            t("store.col.value"): [fmt.value(v, BY_KEY[k].unit, lang()) for v, k in zip(peers["value"], peers["kpi"])],
            t("store.col.rank"): [t("store.rank_of", rank=r, of=o) for r, o in zip(peers["rank"], peers["of"])],
            t("store.col.median"): [fmt.value(v, BY_KEY[k].unit, lang()) for v, k in zip(peers["median"], peers["kpi"])],
            t("store.col.best"): [fmt.value(v, BY_KEY[k].unit, lang()) for v, k in zip(peers["best"], peers["kpi"])],
        }), hide_index=True, width="stretch", key="stores.peers")

audits = data.audit_ranks(*args, filters, view.settings, (view.month,))
mine = audits[audits["store"] == store]
if len(mine):
    st.markdown(f"**{t('store.audits')}**")
    st.dataframe(pd.DataFrame({
        t("col.kpi"): [kpi_label(k) for k in mine["kpi"]],
        t("store.category"): [c if isinstance(c, str) else t("store.whole_store") for c in mine["category"]],
        t("store.col.value"): [fmt.value(v, "points", lang()) for v in mine["value"]],
        t("store.col.audits"): mine["audits"],
        t("store.col.rank"): [t("store.rank_of", rank=r, of=o) for r, o in zip(mine["rank"], mine["of"])],
    }), hide_index=True, width="stretch", key="stores.audits")

with st.expander(t("store.drill")):
    kpi = st.selectbox(t("col.kpi"), [k for k in SCORECARD_KPIS if BY_KEY[k].source != "store_days"],
                       key="stores.drill_kpi", format_func=kpi_label)
    rows = data.rows_behind(view.url, view.version, view.scope, filters.narrowed(store=[store]), view.settings, kpi,
                            (view.month,), "denominator" if BY_KEY[kpi].is_ratio else "numerator")
    st.dataframe(rows, hide_index=True, width="stretch", placeholder="—", key="stores.drill_rows")
    detail_link(kpi)

# ------------------------------------------------------------------ the league table
st.subheader(t("store.league"))
if league.empty:
    st.info(t("no_data_month", month=fmt.month_label(view.month, lang())))
else:
    table = pd.DataFrame({
        t("store.col.rank"): league["rank"],
        dim_label("store"): league["store"], dim_label("region"): [value_label(v) for v in league["region"]],
        t("store.type"): [value_label(v) for v in league["store_type"]],
        t("store.size"): [value_label(v) for v in league["size_class"]],
        **{kpi_label(k): [fmt.value(v, BY_KEY[k].unit, lang()) for v in league[k]] for k in LEAGUE_KPIS},
        t("store.col.revenue_target"): [fmt.value(v, "yuan", lang()) for v in league["revenue_target"]],
        t("store.col.attainment"): [fmt.value(v, "percent", lang()) for v in league["attainment"]],
        t("col.status"): [t("status." + s) for s in league["status"]],
    })
    colours = dict(zip(league.index, league["status"]))

    def rag(row):
        colour = {"green": "#e8f5e9", "amber": "#fff8e1", "red": "#fdecea"}.get(colours.get(row.name), "")
        return [f"background-color: {colour}" if colour else ""] * len(row)

    st.dataframe(table.style.apply(rag, axis=1) if len(table) <= 2000 else table, hide_index=True, width="stretch",
                 placeholder="—", key="stores.league")
    downloads(table, "store_league", "stores.league_download")
    st.plotly_chart(charts.bars(data.figures(view.url, view.version, view.scope, filters, view.settings,
                                             ("revenue",), view.months, ("store",)).dropna(subset=["store"]),
                                "revenue", "store", t("store.revenue_by_store")), theme=None, key="stores.bars")

# ------------------------------------------------------------------ promotions
st.subheader(t("store.promotions"))
camps = data.campaigns(*args)
if camps.empty:
    st.caption(t("store.no_campaigns"))
else:
    labels = {i: f"{c} · {a}–{b}" for i, (c, a, b) in enumerate(zip(camps["campaign"], camps["starts_on"], camps["ends_on"]))}
    i = st.selectbox(t("store.campaign"), list(labels), key="stores.campaign", format_func=labels.get)
    c = camps.iloc[i]
    scope_filters = filters
    if isinstance(c["store"], str):
        scope_filters = filters.narrowed(store=[c["store"]])
    elif isinstance(c["region"], str):
        scope_filters = filters.narrowed(region=[c["region"]])
    got = data.uplift(view.url, view.version, view.scope, scope_filters, view.settings, c["starts_on"], c["ends_on"])
    w = got["windows"]
    m1, m2, m3 = st.columns(3)
    m1.metric(t("store.window_revenue"), fmt.value(got["revenue"], "yuan", lang()), border=True)
    m2.metric(t("store.base_revenue"), fmt.value(got["base_revenue"], "yuan", lang()), border=True)
    m3.metric(t("store.uplift"), fmt.value(got["revenue_uplift"], "percent", lang()), border=True)
    st.caption(t("store.uplift_method", days=w.days, shift=w.shift_days, base_from=str(w.base_starts),
                 base_to=str(w.base_ends)))
    if isinstance(c["note"], str):
        st.caption(md(c["note"]))
    daily = got["daily"]
    if len(daily):
        long = pd.concat([
            pd.DataFrame({"kpi": "revenue", "day": daily["offset"], "series": t("store.window"), "value": daily["revenue"]}),
            pd.DataFrame({"kpi": "revenue", "day": daily["offset"], "series": t("store.baseline"),
                          "value": daily["base_revenue"]})])
        st.plotly_chart(charts.uplift_lines(long, t("store.uplift_chart")), theme=None, key="stores.uplift_chart")

st.caption(t("store.subject_note", n=len(SUBJECTS["stores"].page)))
