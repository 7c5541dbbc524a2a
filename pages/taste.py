"""Taste model: train a model of your own taste, see how good it is, get recommendations with reasons."""
import streamlit as st

from core import chat, explore, spotify, store, taste
from core.taste.interactions import Weighting, music_between, music_plays
from pages import _shared

_shared.through_navigation()

db = _shared.get_db()
profile = st.session_state.get("profile", store.DEFAULT_PROFILE)
st.title("Taste model")
st.caption("A hybrid of implicit ALS (learned from your listening sessions, your playlists and profiles that "
           "share with yours), songs played or listed together (a catalog's own playlists and subgenres too), the "
           "artists you play, the catalog's popularity and audio features (imputed for tracks without them), "
           "judged on your own history against simple baselines.")

plays = music_plays(_shared.all_plays(profile))
if plays.empty:
    st.info(f"Profile “{_shared.plain(profile)}” has no music plays yet. Import an export on the Import page (or load the demo).")
    st.stop()


@st.cache_resource(show_spinner="Loading the model…", max_entries=4)
def _current(db_path: str, profile: str, model_id: int) -> taste.Current | None:
    # keyed on the model id: a new training gives a new id; the loaded model is never mutated
    db = store.open_store(db_path)
    try:
        return taste.current(db, profile)
    finally:
        db.close()


@st.cache_resource(show_spinner=False, max_entries=4)
def _listener(db_path: str, profile: str, version: int, model_id: int, feedback: tuple, _current: taste.Current,
              _plays) -> taste.Listener:
    # the person's rows and play statistics, once per (data version, model, likes from the chat):
    # queries then take milliseconds
    return _current.listener(_plays, feedback=dict(feedback))


@st.cache_data(show_spinner=False, max_entries=16)
def _recommended(db_path: str, profile: str, version: str, model_id: int, feedback: tuple, familiar: float,
                 _current: taste.Current, _who: taste.Listener):
    # both tabs ask on every rerun: once per model, likes and dial position
    return _current.recommend(_who, n=25, familiar=familiar)


first, last = plays["start"].min().date(), plays["start"].max().date()
with st.form("taste_form", border=False):
    dates = st.date_input("Train on plays between (UTC dates)", value=(first, last), min_value=first, max_value=last,
                          key="taste_dates")
    with st.expander("Advanced"):
        c1, c2 = st.columns(2)
        factors = c1.number_input("Factors", 8, 256, 64, step=8, key="taste_factors")
        iterations = c2.number_input("ALS iterations", 1, 50, 15, key="taste_iterations")
        regularization = c1.number_input("Regularisation", 0.001, 10.0, 0.1, format="%.3f", key="taste_reg")
        alpha = c2.number_input("Alpha (confidence scale)", 0.1, 100.0, 10.0, key="taste_alpha")
        skip_weight = c1.number_input("Weight of a quick skip against", 0.0, 5.0, 0.5, key="taste_skip")
        bonus = c2.number_input("Bonus for a complete play", 0.0, 5.0, 0.5, key="taste_bonus")
        seeds = c1.number_input("Evaluation seeds", 1, 5, 3, key="taste_seeds")
    run_eval = st.checkbox("Evaluate after training", value=True, key="taste_run_eval")
    train = st.form_submit_button("Train my taste model", type="primary", key="taste_train")

if train:
    params = {"factors": int(factors), "iterations": int(iterations), "regularization": float(regularization),
              "alpha": float(alpha)}
    weighting = Weighting(skip_weight=float(skip_weight), complete_bonus=float(bonus))
    chosen = music_between(plays, *dates) if isinstance(dates, tuple) and len(dates) == 2 else plays
    if chosen.empty:
        st.error("No plays in the chosen dates. Widen the date range and train again.")
        st.stop()
    with st.status("Training…", expanded=True) as status:
        bar = st.progress(0.0)

        def progress(fraction: float, message: str) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0))
            status.update(label=message)

        trained = taste.train(db, profile, st.session_state["db_path"], params, weighting, plays=chosen,
                              evaluate=run_eval, seeds=tuple(range(int(seeds))), progress=progress)
        st.write(f"{trained.model.n_rows_:,} rows (sessions, playlists, profiles) × "
                 f"{trained.inputs.interactions.n_tracks:,} tracks; {int(trained.model.imputed_.sum()):,} tracks got "
                 "imputed audio features.")
        status.update(label="Model trained and saved", state="complete", expanded=False)

record = store.latest_model(db, profile)
if record is None:
    st.info("No model yet: press **Train my taste model**.")
    st.stop()
if record["data_version"] != store.data_version(db) or record["catalog_version"] != store.catalog_version(db):
    st.warning("**The model is out of date**: plays or the catalog changed since it was trained. Train it again.")
st.caption(f"Model {record['id']}, trained {record['created_at']}.")

st.header("How good is it on your data?")
results = taste.metrics(record)
if results:
    said = taste.plain_summary(results)
    for task, label in (("time_split", "Time split"), ("playlist_continuation", "Playlist continuation"),
                        ("discovery", "Songs you had never streamed")):
        if "skipped" in results.get(task, {}):
            st.caption(f"{label}: not run — {results[task]['skipped']}.")
        elif results.get(task):
            st.markdown(f"**{label}.** {said.get(task, '')}")
            with st.expander("Every model and metric"):
                st.dataframe(taste.table(results, task), hide_index=True, key=f"taste_table_{task}")
    chart_data = taste.ndcg_frame(results)
    if len(chart_data):
        _shared.chart(st, explore.model_comparison(chart_data, list(taste.MODELS)))
    st.caption("Time split: trained before a cut-off, judged on what you streamed in the 28 days after it. "
               "Playlist continuation: a quarter of each playlist (≥ 10 tracks) hidden, ranked from the rest "
               "(RecSys Challenge 2018 protocol). Songs you had never streamed: the history cut at up to four "
               "dates, and the songs you first streamed in the 4 weeks after each ranked among every song you had "
               "not streamed yet (mean percentile rank: 0 % = always first, 50 % = chance).")
else:
    st.caption("Not evaluated yet: train again with “Evaluate after training”.")

current = _current(st.session_state["db_path"], profile, record["id"])
if current is None:
    st.error(f"The model file {_shared.plain(record['path'])} is missing. Train the model again.")
    st.stop()
ix = current.interactions
feedback = tuple(sorted(store.list_feedback(db, profile).items()))
who = _listener(*_shared.data_key(profile), record["id"], feedback, current, plays)

def _linked(table, familiar_column: str = "familiar"):
    """The table with a link to the Artist & track page on each song the listener streams
    (a song they never streamed has nothing to show there)."""
    return table.assign(link=_shared.detail_links("song", table["track_key"], profile, where=table[familiar_column]))


LINK = _shared.link_column("Open the song on the Artist & track page")

st.header("Recommendations")
discover_tab, for_you_tab, forgotten_tab, like_tab = st.tabs(
    ["Discover", "For you", "Forgotten favourites", "More like these songs"])
with discover_tab:
    st.caption("Songs you have never streamed, from your playlists and library, songs found on Spotify (the "
               "Spotify page's “Find new songs for Discover”), the artists you play and the catalogs you added, "
               "ranked by your taste model. 👍 and 👎 are kept: the model and the chat use them.")
    gemini_key, gemini_model = chat.gemini_config()
    if not gemini_key:
        st.caption("Songs suggested by Gemini can join this list: set `GEMINI_API_KEY` (see the README) and "
                   "restart Encore.")
    else:
        if st.button("Ask Gemini for songs", key="taste_gemini",
                     help="Gemini reads a short summary of your listening and proposes songs; only those that are "
                          "real tracks in your catalogs (or on Spotify, when signed in) are kept"):
            sp = None
            if spotify.is_signed_in(st.session_state):
                try:
                    sp = _shared.spotify_client()
                except spotify.SpotifyConfigError:
                    sp = None
            with st.spinner("Asking Gemini and looking for each song…"):
                asked = chat.suggest_songs(db, profile, chat.make_client(gemini_key), gemini_model, sp=sp)
            (st.warning if asked.problem else st.success)(_shared.plain(asked.message()))
        elif last := store.latest_gemini_suggestions(db, profile):  # the last ask, from the store: no new call
            st.caption(f"Last asked {last[0]['asked_at'][:16].replace('T', ' ')} UTC: "
                       + _shared.plain(chat.result_of(last).message(fresh=False)))
    if current.discovery is None:
        st.info("This model was trained before Encore could rank songs you have never heard: press **Train my "
                "taste model** again.")
    else:
        found = _recommended(*_shared.data_key(profile), record["id"], feedback, 0.0, current, who)
        if found.empty:
            st.info("No source offers a song you have not streamed yet. Add a catalog on the Catalog page (for "
                    "example TidyTuesday's spotify_songs.csv) or find new songs on the Spotify page, then train "
                    "again, to reach songs beyond your history.")
        for number, row in enumerate(found.itertuples(), start=1):
            left, up, down = st.columns([10, 1, 1])
            left.markdown(f"**{number}. {_shared.plain(row.artist_name)} — {_shared.plain(row.track_name)}**")
            left.caption(_shared.plain(row.reason))
            if up.button("👍", key=f"taste_like_{row.track_key}", help="More like this"):
                store.set_feedback(db, profile, row.track_key, 1)
                st.rerun()
            if down.button("👎", key=f"taste_dislike_{row.track_key}", help="Not for me: never suggest it again"):
                store.set_feedback(db, profile, row.track_key, -1)
                st.rerun()
with for_you_tab:
    st.session_state.setdefault("taste_familiar", 0.5)  # kept for the session (_shared.keep_controls)
    dial = st.slider("New ↔ familiar", 0.0, 1.0, step=0.05, key="taste_familiar",
                     help="0: only songs you have never streamed; 1: only songs you stream; in between, that share "
                          "of the list is yours")
    if current.discovery is None:
        st.caption("Trained before discovery: the list can only hold songs you stream. Train again for new ones.")
        st.dataframe(_linked(taste.for_you(current.hybrid, ix, who, familiar=dial)), hide_index=True,
                     column_order=("track", "artist", "familiar", "reason", "link"), key="taste_for_you",
                     column_config={"link": LINK})
    else:
        st.dataframe(_linked(_recommended(*_shared.data_key(profile), record["id"], feedback, dial, current, who)),
                     hide_index=True,
                     column_order=("track_name", "artist_name", "source", "reason", "link"), key="taste_for_you",
                     column_config={"track_name": "track", "artist_name": "artist", "link": LINK})
with forgotten_tab:
    st.dataframe(_linked(taste.forgotten_favourites(plays)), hide_index=True,
                 column_order=("track", "artist", "reason", "link"), key="taste_forgotten",
                 column_config={"link": LINK})
with like_tab:
    counts = plays["song_key"].astype(object).value_counts()
    options = [k for k in counts.index[:500] if ix.has(k)]
    labels = {k: ix.label(int(ix.track_idx([k])[0])) for k in options}
    if "taste_picked" in st.session_state:  # kept for the session: only songs this history still has
        st.session_state["taste_picked"] = [k for k in st.session_state["taste_picked"] if k in labels]
    picked = st.multiselect("Songs", options, format_func=labels.get, key="taste_picked",
                            placeholder="Pick one or more of your songs")
    if picked:
        st.dataframe(_linked(taste.more_like(current.model, ix, picked, who)), hide_index=True,
                     column_order=("track", "artist", "familiar", "reason", "link"), key="taste_more_like",
                     column_config={"link": LINK})
