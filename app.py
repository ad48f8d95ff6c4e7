"""客服运营驾驶舱 — router only: page config, the viewer's filters, st.navigation."""
import streamlit as st

from ui import filters
from ui.router import navigation, routing

st.set_page_config(page_title="客服运营驾驶舱", page_icon=":material/monitoring:", layout="wide")
page = navigation()
st.session_state["ui.view"] = filters.sidebar()
with routing():
    page.run()
