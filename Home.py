"""Encore's entry point: page config, the store, the profile, and navigation."""
import streamlit as st

from pages import _shared

st.set_page_config(page_title="Encore", page_icon="🎧", layout="wide")

_shared.load_settings()
db = _shared.get_db()
profile = _shared.sidebar_profile(db)

navigation = st.navigation(
    {
        "Encore": [
            st.Page("pages/home.py", title="Home", icon="🏠", default=True),
            st.Page("pages/import_export.py", title="Import", icon="📥", url_path="import"),
            st.Page("pages/profiles.py", title="Profiles", icon="👤", url_path="profiles"),
            st.Page("pages/catalog.py", title="Catalog", icon="🗂️", url_path="catalog"),
            st.Page("pages/spotify.py", title="Spotify", icon="🟢", url_path="spotify"),
        ],
        "Explore": [
            st.Page("pages/overview.py", title="Overview", icon="📊", url_path="overview"),
            st.Page("pages/clock.py", title="Listening clock", icon="🕰️", url_path="clock"),
            st.Page("pages/discovery.py", title="Discovery", icon="🧭", url_path="discovery"),
            st.Page("pages/habits.py", title="Habits", icon="🔁", url_path="habits"),
            st.Page("pages/detail.py", title="Artist & track", icon="🎤", url_path="detail"),
            st.Page("pages/year_review.py", title="Year in review", icon="🎁", url_path="year"),
            st.Page("pages/mood.py", title="Mood", icon="🌦️", url_path="mood"),
        ],
        "Discover": [
            st.Page("pages/taste.py", title="Taste model", icon="🧠", url_path="taste"),
            st.Page("pages/chat.py", title="Chat", icon="💬", url_path="chat"),
        ],
    },
    expanded=True,  # every page in the sidebar, not "View 3 more"
)
_shared.profile_line(db, profile)
navigation.run()
