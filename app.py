"""客服运营驾驶舱 — router only: page config, who is looking, the viewer's filters, st.navigation."""
import streamlit as st

from ui import access, filters
from ui.i18n import t
from ui.router import navigation, routing

filters.adopt_url_lang()   # the link's ?lang= first: the tab title, the navigation and the page follow it
st.set_page_config(page_title=t("app"), page_icon=":material/monitoring:", layout="wide")
viewer = access.gate()     # sign-in, no access, or local mode: before any page or figure
page = navigation(viewer)
st.session_state["ui.view"] = filters.sidebar()
with routing():
    page.run()
