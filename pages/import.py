"""Import: bring a Spotify export into the store and show what happened to each file."""
from pathlib import Path

import pandas as pd
import streamlit as st

from core import ingest, safety, store
from core.errors import EncoreError
from pages import _shared

_shared.through_navigation()

db = _shared.get_db()

st.title("📥 Import your Spotify export")

with st.expander("Which export do I need, and how do I get it?", expanded=False):
    st.markdown(
        """
Spotify offers two downloads on **Account → Security and privacy → Download your data**:

- **Extended streaming history** — *the one to ask for.* Every play since you opened your
  account, to the second, with track ids, skips, shuffle, platform and country. Spotify
  says it takes **up to 30 days** to arrive (often a few days). Files are named
  `Streaming_History_Audio_…json` (or `endsong_N.json` in older exports).
- **Account data** — arrives in about 5 days but holds only the **last year**, to the
  minute, without track ids (`StreamingHistory_music_N.json`), plus your playlists
  (`Playlist1.json`) and library (`YourLibrary.json`).

Import both if you have them: plays that appear in both are counted once. Drop the zip
exactly as Spotify sent it — files Encore does not use (your e-mail, payments, …) are
listed as ignored and never read. IP addresses, user agents and usernames are never stored.
"""
    )

# Always the person's own profile: the demo is read-only, and a first import creates theirs.
real = [p["name"] for p in store.list_profiles(db) if not p["is_demo"]]
current = st.session_state.get("profile")
NEW = "A new profile…"
if real:
    target = st.selectbox("Whose listening is this?", [*real, NEW], key="import_target",
                          index=real.index(current) if current in real else 0,
                          help="Each person who shares this Encore keeps their own profile. The demo listener "
                               "is read-only.")
    typed = st.text_input("Name of the new profile", key="import_new_profile") if target == NEW else target
else:
    st.caption("Your plays go into a profile of your own (the demo listener stays as it is).")
    typed = st.text_input("Your profile's name", value=store.DEFAULT_PROFILE, key="import_new_profile",
                          help="Only to tell profiles apart in this store; it never leaves your computer.")
profile = (typed or "").strip()
uploads = st.file_uploader("Export zip, or JSON / CSV files from it", type=["zip", "json", "csv"],
                           accept_multiple_files=True, key="import_uploads")
folder = _shared.server_path_input("…or a folder or zip already on this computer", key="import_folder",
                                   placeholder="/home/me/Downloads/my_spotify_data")

if st.button("Import", key="import_button", type="primary", disabled=not (uploads or folder)):
    try:
        if folder:
            folder = str(safety.check_typed_path(folder, _shared.server_address()))
        if profile not in real:
            profile = ingest.check_name(profile)  # a new profile: a usable name, never the demo's
        bar = st.progress(0.0, text="Starting…")
        report = ingest.import_files(
            db,
            paths=[folder] if folder else [],
            uploads=[(u.name, u.getvalue()) for u in uploads or []],
            profile=profile,
            progress=lambda fraction, message: bar.progress(fraction, text=message),
        )
    except EncoreError as problem:
        st.error(_shared.plain(problem), icon="⚠️")
        st.stop()
    st.session_state["last_import"] = report
    _shared.switch_profile(profile)
    st.rerun()

report: ingest.ImportReport | None = st.session_state.get("last_import")
if report is not None:
    for f in report.errors:
        st.error(_shared.plain(f.message), icon="⚠️")
    if report.imported_any:
        merged = f", {report.merged:,} merged with plays already there" if report.merged else ""
        st.success(f"Imported into profile “{_shared.plain(report.profile)}”: {report.added:,} plays added{merged}.")
    else:
        st.warning("Nothing could be imported from this input. See the messages above.")

    rows = [
        {
            "file": Path(f.file).name, "rows read": f.rows_read, "added": f.added,
            "duplicates skipped": f.duplicates, "merged": f.merged, "rejected": f.rejected,
            "music": f.music, "podcast": f.podcast, "audiobook": f.audiobook, "video": f.video,
            "format": f.format or "", "holds": f.holds, "status": f.status, "path": f.file,
        }
        for f in report.files if f.status == "imported"
    ]
    if rows:
        st.subheader("Per file")
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                     column_config={"file": st.column_config.TextColumn(width="medium"),
                                    "format": st.column_config.TextColumn(width="large")})
    for f in report.files:
        for r in f.rejected_reasons:
            more = ", …" if r.count > len(r.first_rows) else ""
            st.warning(f"{_shared.plain(f.file)}: {r.count:,} rows rejected — {_shared.plain(r.reason)} "
                       f"(rows {', '.join(map(str, r.first_rows))}{more}). The other rows were imported.")
    ignored = [f for f in report.files if f.status == "ignored"]
    if ignored:
        with st.expander(f"{len(ignored)} files ignored (not listening data, never read)"):
            st.dataframe(pd.DataFrame([{"file": f.file, "why": f.message} for f in ignored]), hide_index=True)

    s = report.summary
    if s["all_plays"]:
        st.subheader("Summary")
        cols = st.columns(4)
        cols[0].metric("Plays", f"{s['all_plays']:,}")
        cols[1].metric("Hours", f"{s['all_hours']:,}")
        cols[2].metric("Tracks", f"{s['tracks']:,}")
        cols[3].metric("Artists", f"{s['artists']:,}")
        st.caption(f"From {s['first_play'][:10]} to {s['last_play'][:10]} (UTC). Tracks and artists count "
                   "music plays; plays and hours count everything, podcasts and audiobooks included.")

    if report.added or report.merged:
        # Build the Explore snapshot now, while the report is on screen, so the first
        # Explore page opens without waiting for a million plays to load.
        with st.spinner("Preparing the Explore pages…"):
            _shared.all_plays(report.profile)
