"""明细: the rows behind any figure (the other pages link here with ?kpi=…), phones masked,
download as CSV or Excel that is safe from formula injection."""
from ui.router import ensure_routed

ensure_routed()
import streamlit as st

import texts
from metrics.query import DETAIL_LIMIT
from metrics.registry import BY_KEY, KEYS
from ui import data
from ui.i18n import bound, kpi_label, labelled, t
from ui.widgets import downloads, page_view, passport

PARTS = ("denominator", "numerator",)   # words: catalog texts part.<key>



def part_label(part: str, lang: str) -> str:
    return texts.text(f"part.{part}", lang)


view = page_view("page.detail")
asked = st.query_params.get("kpi")
if asked in BY_KEY and st.session_state.get("detail.asked") != asked:
    st.session_state["detail.asked"] = st.session_state["detail.kpi"] = asked
    st.session_state["detail.part"] = st.query_params.get("part") if st.query_params.get("part") in PARTS \
        else "denominator"
st.session_state.setdefault("detail.part", "denominator")
left, right = st.columns([2, 1])
kpi = left.selectbox(t("kpi"), KEYS, key="detail.kpi", format_func=bound(kpi_label))
part = right.segmented_control(t("part"), list(PARTS), key="detail.part", required=True,
                               format_func=bound(part_label))
st.query_params["kpi"], st.query_params["part"] = kpi, part
with st.expander(t("passport")):
    st.markdown(passport({"kpi": kpi}))
rows = data.rows_behind(view.url, view.version, view.scope, view.filters, view.settings, kpi, view.months, part)
st.caption(t("shown", n=f"{len(rows):,}", limit=f"{DETAIL_LIMIT:,}"))
st.dataframe(labelled(rows), hide_index=True, width="stretch", placeholder="—")
downloads(rows, f"{kpi}_{part}", "detail")
