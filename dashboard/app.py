"""Marketplace dashboard (Streamlit): five pages on the published marts.

Run by `marketplace-elt dashboard start` (`make dashboard`) from .venv-dashboard; see docs/dashboard.md.
Each page has its own URL path (/executive, /sales, /sellers, /payments, /quality).
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Marketplace dashboard", page_icon=":bar_chart:", layout="wide")

# The default page is served at "/"; the hidden twin makes /executive a working address too.
PAGES = [
    st.Page("views/executive.py", title="Executive summary", url_path="summary", default=True),
    st.Page("views/executive.py", title="Executive summary", url_path="executive", visibility="hidden"),
    st.Page("views/sales.py", title="Sales by day, region, category", url_path="sales"),
    st.Page("views/sellers.py", title="Seller performance", url_path="sellers"),
    st.Page("views/payments.py", title="Payment reconciliation", url_path="payments"),
    st.Page("views/quality.py", title="Data quality", url_path="quality"),
]

st.navigation(PAGES).run()
