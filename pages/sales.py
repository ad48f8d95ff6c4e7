"""销售转化: revenue, orders, AOV, inquiry conversion by team and agent, repeat and returning shares,
region → store drill-down."""
from ui.router import ensure_routed

ensure_routed()
import streamlit as st

from metrics.subjects import SUBJECTS
from ui import charts, data, tables
from ui.i18n import bound, t, value_label
from ui.widgets import attribution_section, control_section, detail_link, monthly_or_stop, page_view

KPIS = list(SUBJECTS["sales"].page)

view = page_view("page.sales")
args = (view.url, view.version, view.scope, view.filters, view.settings)
monthly = monthly_or_stop(view, tuple(KPIS))
left, right = st.columns(2)
left.plotly_chart(charts.bars(monthly, "revenue", "month", t("by_month")), theme=None, key="sales.revenue")
right.plotly_chart(charts.trend(monthly, ["inquiry_conversion_rate", "repeat_purchase_rate", "returning_buyer_share"],
                                t("by_month")), theme=None, key="sales.rates")

st.subheader(t("by_team"))
st.dataframe(tables.wide(data.figures(*args, tuple(KPIS), view.months, ("team",)), ["team"], KPIS),
             hide_index=True, width="stretch", placeholder="—")
st.subheader(t("by_agent"))
agents = data.figures(*args, tuple(KPIS[:4]), view.months, ("team", "agent"))
st.dataframe(tables.wide(agents, ["team", "agent"], KPIS[:4]),
             hide_index=True, width="stretch", placeholder="—")

st.subheader(t("drill"))
regions = data.figures(*args, tuple(KPIS[:4]), view.months, ("region",))
st.dataframe(tables.wide(regions, ["region"], KPIS[:4]), hide_index=True, width="stretch", placeholder="—")
choices = sorted(regions["region"].dropna().unique())
region = st.selectbox(t("region_pick"), choices, key="sales.region", format_func=bound(value_label))
if region:
    stores = data.figures(view.url, view.version, view.scope, view.filters.narrowed(region=[region]),
                          view.settings, tuple(KPIS[:4]),
                          view.months, ("store",))
    st.dataframe(tables.wide(stores, ["store"], KPIS[:4]), hide_index=True, width="stretch", placeholder="—")
kpis = (*SUBJECTS["sales"].page, *SUBJECTS["sales"].pack)
attribution_section(view, kpis, "sales")
control_section(view, kpis, "sales")
detail_link("revenue", "numerator")
