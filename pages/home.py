"""Home: what Encore is, and the two ways in."""
import streamlit as st

from core import ingest, store
from pages import _shared

_shared.through_navigation()

db = _shared.get_db()
profile = st.session_state.get("profile", store.DEFAULT_PROFILE)
summary = _shared.profile_summary(profile)

st.title("🎧 Encore")
st.markdown(
    "Your Spotify listening life, on your own machine. Drop in the privacy export Spotify "
    "sends you and Encore shows what you really listened to, learns your taste, and builds "
    "playlists with you. Everything stays in a local SQLite file unless you connect Spotify."
)

left, right = st.columns(2)
with left:
    st.subheader("Import my export")
    st.write("Have your Spotify export (a zip, or its JSON files)? Bring it in.")
    st.page_link("pages/import.py", label="Go to Import", icon="📥")
with right:
    st.subheader("Explore with demo data")
    st.write("No export yet? Look around with a synthetic listener: no files, no keys.")
    if st.button("Load the demo", key="load_demo", type="secondary" if summary["all_plays"] else "primary"):
        with st.spinner("Building the demo listener…"):
            summary = ingest.build_demo(db)
        _shared.switch_profile(summary["profile"])
        st.rerun()

st.divider()
if summary["all_plays"]:
    st.subheader(f"Profile “{_shared.plain(profile)}”", anchor=False)
    cols = st.columns(4)
    cols[0].metric("Plays", f"{summary['all_plays']:,}", help="Every play of every kind: music, podcasts, "
                   "audiobooks and videos.")
    cols[1].metric("Hours", f"{summary['all_hours']:,}", help="Every kind of content. Overview counts the content "
                   "chosen in its sidebar (music at first), so its hours can be fewer.")
    cols[2].metric("Tracks", f"{summary['tracks']:,}")
    cols[3].metric("Artists", f"{summary['artists']:,}")
    st.caption(f"From {summary['first_play'][:10]} to {summary['last_play'][:10]} (UTC).")
    st.markdown("**Where to go next**")
    steps = st.columns(4)
    steps[0].page_link("pages/overview.py", label="Explore your listening", icon="📊")
    steps[1].page_link("pages/catalog.py", label="Add audio features (Catalog)", icon="🗂️")
    steps[2].page_link("pages/taste.py", label="Train your taste model", icon="🧠")
    steps[3].page_link("pages/chat.py", label="Chat up a playlist", icon="💬")
else:
    st.caption(f"Profile “{_shared.plain(profile)}” has no plays yet.")
