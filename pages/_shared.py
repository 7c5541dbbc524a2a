"""What every page shares: the store connection, the current profile, the demo label.

Not a page: Home.py lists the pages explicitly with st.navigation.
"""
from __future__ import annotations

import streamlit as st
from sqlite_utils import Database

from core import store


def get_db() -> Database:
    """This session's connection to the store (one per session, never shared between users).

    The path comes from ENCORE_DB; Streamlit also exposes root-level keys of
    .streamlit/secrets.toml as environment variables, so either place works.
    """
    path = str(store.resolve_db_path())
    if st.session_state.get("db_path") != path:
        st.session_state["db"] = store.open_store(path)
        st.session_state["db_path"] = path
    return st.session_state["db"]


def sidebar_profile(db: Database) -> str:
    """The profile picker in the sidebar; remembers the choice in the session."""
    names = [p["name"] for p in store.list_profiles(db)] or [store.DEFAULT_PROFILE]
    current = st.session_state.get("profile", names[0] if store.DEFAULT_PROFILE not in names else store.DEFAULT_PROFILE)
    if current not in names:
        names.append(current)
    choice = st.sidebar.selectbox("Profile", names, index=names.index(current), key="profile_picker",
                                  help="Several people can live in one Encore store; each is a profile.")
    st.session_state["profile"] = choice
    return choice


def demo_banner(db: Database, profile: str) -> None:
    if store.is_demo_profile(db, profile):
        st.info("**Demo data.** You are exploring a synthetic listener, not a real person's history. "
                "Import your own export on the Import page, then pick your profile in the sidebar.", icon="🧪")


def switch_profile(name: str) -> None:
    st.session_state["profile"] = name
    st.session_state.pop("profile_picker", None)


@st.cache_data(show_spinner=False, max_entries=32)
def _cached_summary(db_path: str, profile: str, version: int) -> dict:
    # keyed on the store's data version: a new import invalidates it, nothing else does
    db = store.open_store(db_path)
    try:
        return store.play_summary(db, profile)
    finally:
        db.close()


def profile_summary(profile: str) -> dict:
    """The profile's totals, cached until the next import changes the store."""
    db = get_db()
    return _cached_summary(st.session_state["db_path"], profile, store.data_version(db))
