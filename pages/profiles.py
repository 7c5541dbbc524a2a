"""Profiles: the people who live in this store — rename, share, delete, and undo an import."""
import pandas as pd
import streamlit as st

from core import ingest, store
from core.errors import EncoreError
from pages import _shared

_shared.through_navigation()

db = _shared.get_db()
state = st.session_state

st.title("👤 Profiles")
st.caption("Each person who uses this Encore has a profile of their own: their plays, playlists, catalog matches, "
           "taste model and chats. The demo listener is a profile too, read-only.")

said = state.pop("profiles_said", None)
if said:
    st.success(_shared.plain(said))


def _done(message: str) -> None:
    state["profiles_said"] = message
    st.rerun()


for row in store.list_profiles(db, with_plays=True):
    name = row["name"]
    label = f"{name} — {row['plays']:,} plays" + (" (demo)" if row["is_demo"] else "")
    with st.expander(label, expanded=name == state.get("profile")):
        if row["is_demo"]:
            st.caption("The synthetic demo listener: nothing can be imported into it, and it never trains or joins "
                       "a real person's recommendations.")
        else:
            with st.form(f"rename_{name}", border=False):
                new = st.text_input("Name", value=name, key=f"profiles_name_{name}", max_chars=ingest.MAX_NAME)
                if st.form_submit_button("Rename", key=f"profiles_rename_{name}"):
                    try:
                        renamed = ingest.rename_profile(db, name, new)
                    except EncoreError as problem:
                        st.error(_shared.plain(problem), icon="⚠️")
                    else:
                        if state.get("profile") == name:
                            _shared.switch_profile(renamed)
                        _done(f"Renamed “{name}” to “{renamed}”.")
            share = st.toggle("Share my listening with the other profiles that share theirs", key=f"profiles_share_{name}",
                              value=bool(row["share_listening"]),
                              help="Off by default. When two real profiles both share, each one's taste model also "
                                   "learns from the other's sessions. The demo never does.")
            if share != bool(row["share_listening"]):
                store.set_sharing(db, name, share)
                _done(f"“{name}” {'now shares' if share else 'no longer shares'} its listening.")

            imports = pd.DataFrame(store.list_imports(db, name))
            if len(imports):
                st.markdown("**Imports**")
                imports["state"] = [f"undone {u[:10]}" if isinstance(u, str) else ("finished" if f else "not finished")
                                    for u, f in zip(imports["undone_at"], imports["finished_at"])]
                st.dataframe(imports[["id", "started_at", "files", "plays_added", "plays_merged", "state"]],
                             hide_index=True, width="stretch", key=f"profiles_imports_{name}",
                             column_config={"id": "#", "started_at": "started (UTC)",
                                            "plays_added": st.column_config.NumberColumn("plays added", format="%,d"),
                                            "plays_merged": st.column_config.NumberColumn("merged", format="%,d")})
                standing = imports.loc[imports["undone_at"].isna(), "id"].tolist()
                if standing:
                    left, right = st.columns([1, 2])
                    chosen = left.selectbox("Undo import", standing, key=f"profiles_undo_pick_{name}",
                                            format_func=lambda i: f"#{i}")
                    right.caption("Removes exactly the plays that import added and puts back the plays, playlists "
                                  "and library items it changed. Everything else stays.")
                    if left.button("Undo this import", key=f"profiles_undo_{name}"):
                        try:
                            result = ingest.undo_import(db, int(chosen))
                        except EncoreError as problem:
                            st.error(_shared.plain(problem), icon="⚠️")
                        else:
                            _done(f"Undid import #{chosen}: {result['plays_removed']:,} plays removed, "
                                  f"{result['plays_restored']:,} put back.")

        rows = store.profile_rows(db, name)
        what = ", ".join(f"{n:,} {table.replace('_', ' ')}" for table, n in rows.items()) or "nothing yet"
        sure = st.checkbox(f"Delete “{name}” and everything of it ({what})", key=f"profiles_sure_{name}")
        if st.button("Delete profile", key=f"profiles_delete_{name}", disabled=not sure, type="secondary"):
            try:
                ingest.delete_profile(db, state["db_path"], name)
            except EncoreError as problem:
                st.error(_shared.plain(problem), icon="⚠️")
            else:
                if state.get("profile") == name:
                    others = [p["name"] for p in store.list_profiles(db)]
                    _shared.switch_profile(next((p for p in others if not store.is_demo_profile(db, p)), others[0]))
                _done(f"Deleted “{name}” and everything of it.")

with st.form("profiles_new", border=False):
    new_name = st.text_input("A new profile", key="profiles_new_name", max_chars=ingest.MAX_NAME,
                             placeholder="a name, then import that person's export into it")
    if st.form_submit_button("Create", key="profiles_create"):
        try:
            created = ingest.create_profile(db, new_name)
        except EncoreError as problem:
            st.error(_shared.plain(problem), icon="⚠️")
        else:
            _shared.switch_profile(created)
            _done(f"Created “{created}”. Import that person's export on the Import page.")
