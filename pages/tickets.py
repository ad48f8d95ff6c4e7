"""工单: volume by category and channel, FCR, complaint rate, resolution time, on-time rate, backlog."""
from ui.router import ensure_routed

ensure_routed()
import streamlit as st

from metrics.subjects import SUBJECTS
from ui import charts, data
from ui.i18n import t
from ui.widgets import attribution_section, control_section, detail_link, monthly_or_stop, page_view

view = page_view("page.tickets")
args = (view.url, view.version, view.scope, view.filters, view.settings)
monthly = monthly_or_stop(view, SUBJECTS["tickets"].page)
by_category = data.figures(*args, ("contacts",), view.months, ("category",))
by_category = by_category.sort_values("value", ascending=False).head(12)
by_channel = data.figures(*args, ("contacts",), view.months, ("channel",))
left, right = st.columns([3, 2])
left.plotly_chart(charts.bars(by_category, "contacts", "category", t("volume_category")), theme=None, key="tickets.category")
right.plotly_chart(charts.bars(by_channel, "contacts", "channel", t("volume_channel")), theme=None, key="tickets.channel")

left, right = st.columns(2)
left.plotly_chart(charts.trend(monthly, ["fcr_rate", "complaint_rate", "on_time_resolution_rate"], t("by_month")),
                  theme=None, key="tickets.rates")
right.plotly_chart(charts.bars(monthly, "backlog", "month", t("by_month")), theme=None, key="tickets.backlog")
buckets = data.breakdown("resolution_buckets", *args, view.months)
buckets = buckets.assign(label=[t(f"bucket.{b}") for b in buckets["bucket"]])   # in the viewer's language
left, right = st.columns(2)
left.plotly_chart(charts.histogram_bars(buckets, "label", "n", t("resolution_dist")), theme=None, key="tickets.resolution")
right.plotly_chart(charts.trend(monthly, ["resolution_hours"], t("by_month")), theme=None, key="tickets.hours")
kpis = (*SUBJECTS["tickets"].page, *SUBJECTS["tickets"].pack)
attribution_section(view, kpis, "tickets")
control_section(view, kpis, "tickets")
detail_link("backlog")
