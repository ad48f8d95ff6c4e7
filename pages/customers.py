"""客户: the CRM team's view of the customers (issue 20).  Returning customers, new → returning within
N days, dormant and churned counts with reactivation and rescue, RFM scores on the configured bins with
the segment grid, the 80/20 concentration, member-level growth and migration, the dormant / churned /
top lists (Excel, phones masked) and a campaign's reactivation.  The days and bins in force are said
under the cards."""
from ui.router import ensure_routed

ensure_routed()
import pandas as pd
import streamlit as st

from metrics.customers import list_months, segment_grid, segments
from metrics.months import month_key
from metrics.registry import BY_KEY
from metrics.subjects import SUBJECTS
from texts import fmt
from ui import charts, data
from ui.i18n import dim_label, kpi_label, lang, t, value_label
from ui.widgets import downloads, monthly_or_stop, page_view

KPIS = SUBJECTS["customers"].page
view = page_view("page.customers")
args = (view.url, view.version, view.scope, view.filters, view.settings)
monthly = monthly_or_stop(view, tuple(KPIS))
s = view.settings

now = monthly[monthly["month"] == month_key(view.month)]
cards = st.columns(5)
for i, kpi in enumerate(KPIS):
    row = now[now["kpi"] == kpi]
    shown = fmt.value(row["value"].iloc[0], BY_KEY[kpi].unit, lang()) if len(row) else fmt.EMPTY
    n = (f"n={fmt.value(row['denominator'].iloc[0], 'count', lang())}"
         if len(row) and BY_KEY[kpi].is_ratio else None)
    cards[i % 5].metric(kpi_label(kpi), shown, help=BY_KEY[kpi].about(lang()), border=True)
    if n:
        cards[i % 5].caption(n)
st.caption(t("customer.basis", returning=s.returning_days, dormant=s.dormant_days, churn=s.churn_days,
             r=s.rfm_recency_days, f=s.rfm_frequency, m=s.rfm_monetary))

left, right = st.columns(2)
left.plotly_chart(charts.trend(monthly, list(SUBJECTS["customers"].chart), t("by_month")), theme=None,
                  key="customers.trend")
tiers = data.customer_tiers(*args, view.months)
if len(tiers):
    tiers = tiers.assign(level=[value_label(v) for v in tiers["member_level"]],
                         month=[fmt.month_label(m, lang()) for m in tiers["month"]])
    right.plotly_chart(charts.share_bars(tiers, "month", "n", "level", t("customer.tiers")), theme=None,
                       key="customers.tiers")

# ------------------------------------------------------------------ RFM and 80/20
st.subheader(t("customer.rfm"))
cells = data.customer_rfm(*args, view.months)
if cells.empty:
    st.info(t("no_data_month", month=fmt.month_label(view.month, lang())))
else:
    left, right = st.columns(2)
    left.plotly_chart(charts.rfm_grid(segment_grid(cells), t("customer.rfm_grid")), theme=None, key="customers.grid")
    curve = data.customer_pareto(*args, view.months)
    right.plotly_chart(charts.pareto_curve(curve.curve, t("customer.pareto"), t("customer.share_customers"),
                                           t("customer.share_revenue")), theme=None, key="customers.pareto")
    right.caption(t("customer.top_share", share=fmt.value(curve.top_share, "percent", lang()), n=curve.customers))
    seg = segments(cells)
    st.dataframe(pd.DataFrame({
        t("customer.segment"): [t(f"rfm.{k}") for k in seg["segment"]],
        t("customer.customers"): [fmt.value(v, "count", lang()) for v in seg["customers"]],
        kpi_label("revenue"): [fmt.value(v, "yuan", lang()) for v in seg["revenue"]],
        t("customer.revenue_share"): [fmt.value(v, "percent", lang()) for v in seg["share"]],
    }), hide_index=True, width="stretch", key="customers.segments")

# ------------------------------------------------------------------ migration
st.subheader(t("customer.migration"))
matrix = data.customer_migration(*args, view.month)
if matrix.empty:
    st.caption(t("customer.no_migration"))
else:
    shown = matrix.copy()
    shown.index = [value_label(v) if v != "—" else t("customer.no_level") for v in shown.index]
    shown.columns = [value_label(v) if v != "—" else t("customer.no_level") for v in shown.columns]
    st.caption(t("customer.migration_about"))
    st.dataframe(shown, width="stretch", key="customers.migration")

# ------------------------------------------------------------------ lists
# On demand: call lists are a working tool, not a glance figure, and they are the page's one query
# over every customer's 12 months (0.3 s for a region at 10 M orders, 0.5 s for two); the switch
# stays on for the rest of the session once turned on.
st.subheader(t("customer.lists"))
if st.toggle(t("customer.show_lists"), key="customers.show_lists", help=t("customer.show_lists_help")):
    found = data.customer_lists(*args, view.month)
    names = {"customer_id": t("worklist.col.customer_id"), "customer_phone": t("worklist.col.customer_phone"),
             "last_purchase": t("customer.col.last_purchase"), "days_since": t("customer.col.days_since"),
             "revenue_12m": t("customer.col.revenue_12m"), "orders_12m": t("customer.col.orders_12m")}
    tabs = st.tabs([t("customer.list.dormant", n=found.sizes["dormant"], shown=len(found.dormant)),
                    t("customer.list.churned", n=found.sizes["churned"], shown=len(found.churned)),
                    t("customer.list.top", n=len(found.top))])
    st.caption(t("customer.lists_about", months=len(list_months(view.month, s))))
    for tab, (key, frame) in zip(tabs, (("dormant", found.dormant), ("churned", found.churned), ("top", found.top))):
        with tab:
            shown = frame.assign(revenue_12m=[fmt.value(v, "yuan", lang()) for v in frame["revenue_12m"]]) \
                if "revenue_12m" in frame else frame   # ¥ and 万 on screen; the download keeps the numbers
            st.dataframe(shown.rename(columns=names), hide_index=True, width="stretch", placeholder="—",
                         key=f"customers.list.{key}")
            # the phones (masked) are looked up for the download only, when it is pressed
            downloads(frame, f"customers_{key}", f"customers.{key}.download",
                      prepare=lambda df: data.customer_list_phones(df, view.scope, s, view.month).rename(columns=names))

# ------------------------------------------------------------------ a campaign's reactivation
camps = data.campaigns(view.url, view.version, view.scope)
if len(camps):
    st.subheader(t("customer.campaign"))
    labels = {i: f"{c} · {a}–{b}" for i, (c, a, b) in enumerate(zip(camps["campaign"], camps["starts_on"], camps["ends_on"]))}
    i = st.selectbox(t("store.campaign"), list(labels), key="customers.campaign", format_func=labels.get)
    c = camps.iloc[i]
    got = data.campaign_response(*args, c["starts_on"], c["ends_on"])
    m1, m2 = st.columns(2)
    m1.metric(t("customer.reactivated"), fmt.value(got["dormant_rate"], "percent", lang()), border=True)
    m1.caption(t("customer.of", bought=got["dormant_bought"], n=got["dormant"]))
    m2.metric(t("customer.rescued"), fmt.value(got["churned_rate"], "percent", lang()), border=True)
    m2.caption(t("customer.of", bought=got["churned_bought"], n=got["churned"]))
st.caption(t("customer.scope_note", dim=dim_label("store")))
