"""客服运营驾驶舱 — router only."""
import streamlit as st

st.set_page_config(page_title="客服运营驾驶舱", page_icon="📊", layout="wide")
pages = [st.Page("pages/load_status.py", title="数据概况", url_path="status", default=True)]
st.navigation(pages).run()
