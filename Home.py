"""Encore's entry point: page config, the store, the profile, and navigation."""
import streamlit as st

from pages import _shared

st.set_page_config(page_title="Encore", page_icon="🎧", layout="wide")

db = _shared.get_db()
profile = _shared.sidebar_profile(db)

navigation = st.navigation(
    {
        "Encore": [
            st.Page("pages/home.py", title="Home", icon="🏠", default=True),
            st.Page("pages/import_export.py", title="Import", icon="📥", url_path="import"),
        ],
    }
)
_shared.demo_banner(db, profile)
navigation.run()
