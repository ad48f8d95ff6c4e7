"""月度复盘: the monthly review pack of a month and a scope — frozen figures by section, comments,
action items carried month to month, PDF and Excel downloads."""
from ui.router import ensure_routed

ensure_routed()
import streamlit as st

from reports import pack as rp
from texts import fmt
from ui import data
from ui import review as rv
from ui.access import may
from ui.i18n import lang, t
from ui.text import md
from ui.widgets import page_view

view = page_view("page.review")
wh = data.warehouse()
scope = rv.choose_scope(data.filter_values(view.url, view.version, view.scope, view.months))
pack = rp.open_pack(wh, view.month, scope, viewer=view.scope)
if pack is None:
    st.info(t("rv.none", month=fmt.month_label(view.month, lang()), scope=md(scope.label(lang()))))
    if may("refresh_pack") and st.button(t("rv.create"), type="primary", key="rv.create"):
        with st.spinner():
            rp.create(wh, view.month, scope, viewer=view.scope, by=data.viewer_name())
        st.rerun()
    st.stop()
rv.header(wh, pack, view.scope)
rv.section_tabs(wh, pack)
