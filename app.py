"""客服运营驾驶舱 — router only: page config, the viewer's filters, st.navigation."""
import streamlit as st

from ui import filters
from ui.i18n import t

st.set_page_config(page_title="客服运营驾驶舱", page_icon="📊", layout="wide")

PAGES = [  # (file, title key, url path, icon)
    ("pages/overview.py", "page.overview", "overview", "📊"),
    ("pages/calls.py", "page.calls", "calls", "📞"),
    ("pages/tickets.py", "page.tickets", "tickets", "🗂️"),
    ("pages/satisfaction.py", "page.satisfaction", "satisfaction", "😊"),
    ("pages/sales.py", "page.sales", "sales", "💰"),
    ("pages/matrix.py", "page.matrix", "matrix", "🧮"),
    ("pages/detail.py", "page.detail", "detail", "🔎"),
    ("pages/imports.py", "page.import", "import", "📥"),
    ("pages/settings.py", "page.settings", "settings", "⚙️"),
]

page = st.navigation([st.Page(path, title=t(key), url_path=url, icon=icon, default=(i == 0))
                      for i, (path, key, url, icon) in enumerate(PAGES)])
st.session_state["ui.view"] = filters.sidebar()
filters.show_warnings()
page.run()
