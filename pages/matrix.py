"""团队×月份: one KPI, teams (or regions, stores) by months, each cell coloured by its target status."""
from ui.router import ensure_routed

ensure_routed()
import streamlit as st

from metrics.registry import KEYS
from ui import data, tables
from ui.i18n import bound, dim_label, kpi_label, t
from ui.widgets import detail_link, page_view, status_chip

view = page_view("page.matrix")
left, right = st.columns([2, 1])
kpi = left.selectbox(t("kpi"), KEYS, index=KEYS.index("answer_within_3_rings_rate"), key="matrix.kpi",
                     format_func=bound(kpi_label))
rows = right.segmented_control(t("rows"), ["team", "region", "store"], default="team", key="matrix.rows",
                               format_func=bound(dim_label), required=True)
df = data.figures(view.url, view.version, view.scope, view.filters, view.settings, (kpi,), view.months,
                  ("month", rows))
if df.empty:
    st.info(t("no_data_month", month=""))
    st.stop()
st.dataframe(tables.matrix(df, rows, kpi), width="stretch")
st.caption(" · ".join(status_chip(s) for s in ("green", "amber", "red", "grey")))
detail_link(kpi)
