"""What every page shares: the store connection, the current profile, the demo label.

Not a page: Home.py lists the pages explicitly with st.navigation.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import os
import re
import zoneinfo
from collections.abc import Callable
from urllib.parse import urlencode

import pandas as pd
import streamlit as st
from sqlite_utils import Database

from core import explore, history, safety, store

SETTINGS = ("ENCORE_DB", "GEMINI_API_KEY", "ENCORE_GEMINI_MODEL", "SPOTIFY_CLIENT_ID", "SPOTIFY_REDIRECT_URI")


def load_settings() -> None:
    """Settings from .streamlit/secrets.toml into the environment, where core reads them
    (an environment variable that is already set wins). Streamlit does this for root-level
    secrets too; doing it here makes it independent of when st.secrets is first read."""
    try:
        secrets = {name: st.secrets[name] for name in SETTINGS if name in st.secrets}
    except Exception:  # no secrets.toml: the environment alone
        return
    for name, value in secrets.items():
        if isinstance(value, str) and value and not os.environ.get(name):
            os.environ[name] = value


# The app's pages by section: (script in pages/, which is also its address, title, icon). The
# address must be the file's name: see through_navigation.
PAGES = {
    "Encore": [("home", "Home", "🏠"), ("import", "Import", "📥"), ("profiles", "Profiles", "👤"),
               ("catalog", "Catalog", "🗂️"), ("spotify", "Spotify", "🟢")],
    "Explore": [("overview", "Overview", "📊"), ("clock", "Listening clock", "🕰️"),
                ("discovery", "Discovery", "🧭"), ("habits", "Habits", "🔁"), ("detail", "Artist & track", "🎤"),
                ("year", "Year in review", "🎁"), ("mood", "Mood", "🌦️")],
    "Discover": [("taste", "Taste model", "🧠"), ("chat", "Chat", "💬")],
}


def run_app() -> None:
    """Encore around the page a run is for: page config, settings, the store, the profile
    picker, the navigation (every page in the sidebar, by section), then the page itself."""
    st.set_page_config(page_title="Encore", page_icon="🎧", layout="wide")
    load_settings()
    db = get_db()
    profile = sidebar_profile(db)
    navigation = st.navigation(
        {section: [st.Page(f"pages/{name}.py", title=title, icon=icon, url_path=name, default=name == "home")
                   for name, title, icon in pages] for section, pages in PAGES.items()},
        expanded=True,  # every page in the sidebar, not "View 3 more"
    )
    profile_line(db, profile)
    keep_controls()
    navigation.run()


# Page controls kept for the session, like the sidebar's (CONTROL_KEYS, defined below).
PAGE_CONTROL_KEYS = ("overview_period", "overview_by", "overview_rank_by", "overview_n", "taste_familiar",
                     "taste_picked")


def keep_controls() -> None:
    """Keep every page's controls for the session. Streamlit drops a widget's value when a
    run does not draw it (another page); a value written back through session state at the
    start of every run is kept until the widget is drawn again."""
    state = st.session_state
    for key in (*CONTROL_KEYS, *PAGE_CONTROL_KEYS):
        if key in state:
            state[key] = state[key]


def through_navigation() -> None:
    """Call first in every page script: a run that did not come through ``run_app`` goes
    through it now.

    Until some script calls ``st.navigation``, Streamlit treats the top-level scripts of
    ``pages/`` as pages of their own (its first multipage mode): on the first run after a
    server start, a page opened by its address ran without Home.py — raw file names in the
    sidebar, no profile picker, and the next click landed in the alphabetically first
    profile. Here such a run builds the app (which runs this same page through the
    navigation, found by its address) and stops.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        run_app()
        st.stop()


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
    """The profile picker in the sidebar; the choice lives in the session (``profile``).

    The picker keeps no state of its own: it is drawn at the session's profile every run
    and its answer becomes the profile. (A keyed picker kept a value of its own, and a
    run that drew it under another page's identity — Streamlit's first run after a start —
    fell back to the first option: the demo.)
    """
    names = [p["name"] for p in store.list_profiles(db)] or [store.DEFAULT_PROFILE]
    linked = st.query_params.get("profile")  # a link opened in a new tab carries whose page it was
    if linked in names and "profile" not in st.session_state:
        st.session_state["profile"] = linked
    current = st.session_state.get("profile", names[0] if store.DEFAULT_PROFILE not in names else store.DEFAULT_PROFILE)
    if current not in names:
        names.append(current)
    choice = st.sidebar.selectbox("Profile", names, index=names.index(current),
                                  help="Several people can live in one Encore store; each is a profile.")
    st.session_state["profile"] = choice
    return choice


def demo_banner(db: Database, profile: str) -> None:
    if store.is_demo_profile(db, profile):
        st.info("**Demo data.** You are exploring a synthetic listener, not a real person's history. "
                "Import your own export on the Import page, then pick your profile in the sidebar.", icon="🧪")


def profile_line(db: Database, profile: str) -> None:
    """Which profile every page shows (above the page), and the demo banner for the demo."""
    st.caption(f"👤 Showing **{plain(profile)}**" + (" (demo data)" if store.is_demo_profile(db, profile) else ""))
    demo_banner(db, profile)


_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|<>$:~&"})
# Markdown turns a bare web address into a link whatever is escaped; an invisible word
# joiner after "http", "https" or "www" keeps it text (it reads and copies the same).
_AUTOLINK = re.compile(r"(?i)(https?|www)(?=\\:|\\.)")
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """A name (artist, track, profile…) safe inside markdown: every character that markdown,
    Streamlit's colour/emoji shortcodes or LaTeX would read is escaped, and no web address
    in it becomes a link, so it shows as typed."""
    escaped = str(text).translate(_MARKDOWN).replace("\n", " ")
    return _AUTOLINK.sub(lambda m: m.group(1) + WORD_JOINER, escaped)


def server_address() -> str | None:
    """Where this app listens (Streamlit's ``server.address``; unset means every network)."""
    return st.get_option("server.address")


def server_path_input(label: str, key: str, placeholder: str) -> str:
    """A box for a path on the server, shown only when typed paths are allowed (the app listens
    on this computer alone, or ENCORE_ALLOWED_FOLDERS names folders); else a line saying why."""
    if not safety.typed_paths_allowed(server_address()):
        st.caption("Paths on the server are off: this Encore is reachable from other computers. Upload the files, "
                   f"set `{safety.ALLOWED_FOLDERS_ENV}` to the folders paths may come from, or import with "
                   "`python -m core import PATH` on the server.")
        return ""
    folders = safety.allowed_folders()
    return st.text_input(label, key=key, placeholder=placeholder,
                         help=("Only inside: " + ", ".join(map(str, folders))) if folders else None).strip()


def switch_profile(name: str) -> None:
    """Make ``name`` the current profile; the sidebar picker follows on the next run."""
    st.session_state["profile"] = name


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


# --- Explore: shared controls and cached data ----------------------------------------

STREAM_RULES = {"From 30 seconds (Spotify's rule)": 30, "All plays": 0, "Custom threshold": None}


@st.cache_resource(show_spinner="Loading your plays…", max_entries=4)
def _plays(db_path: str, profile: str, version: str) -> pd.DataFrame:
    # cache_resource, not cache_data: the frame is read-only and large, and cache_data
    # would hand every rerun a fresh copy. Keyed on the data version: an import
    # invalidates exactly this.
    db = store.open_store(db_path)
    try:
        # the frame is kept here: the snapshot file (for the next server) is written behind
        return history.load_plays_snapshot(db, db_path, profile, write_behind=True)
    finally:
        db.close()


@st.cache_resource(show_spinner=False, max_entries=4)
def _named_plays(db_path: str, profile: str, version: str) -> pd.DataFrame:
    # who made each play and what it was, once per load: every content's rows take them along
    # (worked out per content, they were most of a content change on Discovery and Habits)
    return history.with_item_columns(_plays(db_path, profile, version))


@st.cache_resource(show_spinner=False, max_entries=8)
def _content(db_path: str, profile: str, version: str, content: tuple[str, ...]) -> pd.DataFrame:
    # copying the chosen content's rows is the slow part of filtering (30 ms at 1M plays,
    # twice that once the local columns are added): done once per content, whatever the zone
    return explore.select_content(_named_plays(db_path, profile, version), content)


@st.cache_resource(show_spinner=False, max_entries=8)
def _content_rows(db_path: str, profile: str, version: str, tz: str, content: tuple[str, ...]) -> pd.DataFrame:
    # the local columns added to those rows (a new zone costs this alone); a date range is
    # then a slice of these rows
    return explore.localise(_content(db_path, profile, version, content), tz)


@st.cache_resource(show_spinner=False, max_entries=16)
def _selected(db_path: str, profile: str, version: str, filters: explore.Filters) -> pd.DataFrame:
    # content and dates only (filters.min_ms is always 0 here): a new stream rule does not
    # select the rows again
    rows = _content_rows(db_path, profile, version, filters.tz, filters.content)
    return explore.select_dates(rows, filters.start, filters.end)


@st.cache_resource(show_spinner=False, max_entries=16)
def _filtered(db_path: str, profile: str, version: str, filters: explore.Filters) -> pd.DataFrame:
    rows = _selected(db_path, profile, version, without_rule(filters))
    return explore.mark_streams(rows, filters.min_ms)


def data_key(profile: str) -> tuple[str, str, str]:
    """(store path, profile, frame version): the cache key of everything derived from plays."""
    db = get_db()
    return st.session_state["db_path"], profile, store.frame_version(db)


def all_plays(profile: str) -> pd.DataFrame:
    """Every play of the profile (UTC, unfiltered), cached until the next import.

    The cached frame is shared by every browser session: each caller gets a shallow copy,
    and pandas' copy-on-write keeps whatever it changes out of the shared one (no data is
    copied unless something is changed)."""
    return _plays(*data_key(profile)).copy(deep=False)


def named_plays(profile: str) -> pd.DataFrame:
    """``all_plays`` with who made each play and what it was (``history.with_item_columns``),
    cached until the next import (a shallow copy): what every content's rows are taken from."""
    return _named_plays(*data_key(profile)).copy(deep=False)


CONTROL_KEYS = ("f_tz", "f_dates", "f_content", "f_rule", "f_min_s")


@functools.cache
def _time_zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))  # reads the tz database's folder: 20 ms a call


@st.cache_resource(show_spinner=False, max_entries=8)
def _history_facts(db_path: str, profile: str, version: str) -> tuple[str, pd.Timestamp | None, pd.Timestamp | None]:
    # what the controls need of the whole history, once per load, not on every rerun: the
    # guessed zone and the first and last start (UTC; None without plays)
    plays = _plays(db_path, profile, version)
    guessed = explore.guess_timezone(plays["conn_country"])
    return (guessed, None, None) if plays.empty else (guessed, plays["start"].min(), plays["start"].max())


def explore_controls(profile: str) -> explore.Filters:
    """The sidebar controls every Explore page shares; values persist across pages.

    Defaults go into session state before the widgets are drawn (never both a default
    and a state value); ``keep_controls``, run before every page, writes the values back:
    Streamlit ties a widget's state to the page that drew it and would otherwise drop it on
    a page switch.
    """
    guessed, earliest, latest = _history_facts(*data_key(profile))
    state = st.session_state
    if state.get("f_profile") != profile:  # another person's history: start from their defaults
        for key in CONTROL_KEYS:
            state.pop(key, None)
        state["f_profile"] = profile
    state.setdefault("f_tz", guessed)
    tz = state["f_tz"]
    if earliest is None:
        first = last = dt.date.today()
    else:
        first, last = earliest.tz_convert(tz).date(), latest.tz_convert(tz).date()
    dates = state.get("f_dates")
    dates = tuple(dates) if isinstance(dates, (tuple, list)) else ()
    # the whole history stays the whole history (in another zone, after an import); a range of
    # one's own is kept while it fits
    if not dates or dates == state.get("f_whole") or not all(first <= d <= last for d in dates):
        state["f_dates"] = (first, last)
    state["f_whole"] = (first, last)
    state.setdefault("f_content", ["music"])
    state.setdefault("f_min_s", 30)

    sidebar = st.sidebar
    sidebar.divider()
    zones = _time_zones()
    tz = sidebar.selectbox("Time zone", zones, key="f_tz",
                           help=f"Guessed from where you listened most ({guessed}). "
                                "Spotify stores UTC; every chart uses this zone.")
    chosen = sidebar.date_input("Date range", min_value=first, max_value=last, key="f_dates")
    start, end = (chosen if isinstance(chosen, (tuple, list)) and len(chosen) == 2 else (first, last))
    content = sidebar.multiselect("Content", list(history.CONTENT_TYPES), key="f_content",
                                  help="Music, podcasts, audiobooks and music videos are kept apart.")
    rule = sidebar.radio("What counts as a stream", list(STREAM_RULES), key="f_rule")
    seconds = STREAM_RULES[rule]
    if seconds is None:
        seconds = sidebar.number_input("Seconds", min_value=0, max_value=600, step=5, key="f_min_s")
    # the content in one order however it was picked: one cache entry per choice
    kinds = tuple(kind for kind in history.CONTENT_TYPES if kind in content) or ("music",)
    return explore.Filters(start=start, end=end, content=kinds, min_ms=int(seconds) * 1000, tz=tz)


def explore_frame(profile: str, filters: explore.Filters) -> pd.DataFrame:
    """The filtered, localised plays for the current controls (cached per control values;
    a shallow copy, as ``all_plays``)."""
    return _filtered(*data_key(profile), filters).copy(deep=False)


def without_rule(filters: explore.Filters) -> explore.Filters:
    """The controls without the stream rule: the cache key of an aggregate that never counts
    streams (hours, skips, reasons…), so a new stream rule finds it cached."""
    return dataclasses.replace(filters, min_ms=0)


def rows_key(profile: str, filters: explore.Filters) -> tuple:
    """Which plays the controls select, whatever zone chose them: (content, position of the
    first, count) when the date range is one run of the content's rows (it almost always is;
    the position among them, the same in every zone), (content, 0) when it holds none, else
    the controls themselves (zone included). The cache key of an aggregate that reads no local
    time (counts, top lists): a new zone whose dates still hold the same plays finds it cached.
    The stream rule is not in it."""
    data = data_key(profile)
    rows = _selected(*data, without_rule(filters)).index
    if len(rows) == 0:
        return filters.content, 0
    at = explore.positions_in(_content_rows(*data, filters.tz, filters.content).index, rows)
    if isinstance(at, slice):  # one run of the content's rows: where it starts and its size name it
        return filters.content, at.start, len(rows)
    return filters.content, without_rule(filters)


def content_rows(profile: str, content: tuple[str, ...]) -> pd.DataFrame:
    """Every play of the chosen content in UTC (no local columns), whatever the dates and
    stream rule: what a zone-free aggregate kept per content is built from (cached per
    content, a shallow copy; ``content_plays`` in any zone has the same rows and index)."""
    return _content(*data_key(profile), content).copy(deep=False)


def content_parts(filters: explore.Filters) -> list[explore.Filters]:
    """The controls once per content type chosen (in ``history.CONTENT_TYPES`` order). An
    aggregate that adds up over content types (``explore``'s ``x_part`` and ``x_of``) is kept
    per type, so a new content choice counts the plays of the types not counted before, and a
    page need not copy the chosen contents' plays into one frame."""
    return [dataclasses.replace(filters, content=(kind,)) for kind in history.CONTENT_TYPES if kind in filters.content]


def parts_key(profile: str, filters: explore.Filters) -> tuple:
    """``rows_key`` of each of ``content_parts``: which plays the controls select, whatever zone
    chose them (the stream rule is not in it)."""
    return tuple(rows_key(profile, part) for part in content_parts(filters))


@st.cache_resource(show_spinner=False, max_entries=8)
def _item_codes(db_path: str, profile: str, version: str, content: tuple[str, ...], by: str) -> explore.ItemCodes | None:
    # each play of the content numbered by its artist or song spelling: the same in any zone and
    # under any stream rule (read-only)
    return explore.item_codes(_content(db_path, profile, version, content), by)


@st.cache_resource(show_spinner=False, max_entries=8)
def _item_totals(db_path: str, profile: str, version: str, content: tuple[str, ...], min_ms: int,
                 by: str) -> explore.ItemTotals | None:
    # each artist's or spelling's totals a block of the content's rows at a time, once per content
    # and stream rule, in any zone: the items of a date range add up a few blocks (read-only)
    coded = _item_codes(db_path, profile, version, content, by)
    if coded is None:
        return None
    return explore.item_totals(explore.mark_streams(_content(db_path, profile, version, content), min_ms), coded)


@st.cache_resource(show_spinner=False, max_entries=64)
def _items(db_path: str, profile: str, version: str, rows: tuple, min_ms: int, by: str,
           _part: explore.Filters) -> pd.DataFrame:
    # keyed on the plays selected (``rows``), not the zone that selected them; read-only
    # (cache_resource: a list of songs is too long to copy on every rerun)
    if by in ("artist", "track") and len(rows) == 3:  # one run of the content's rows (rows_key): from the totals
        totals = _item_totals(db_path, profile, version, rows[0], min_ms, by)
        if totals is not None:
            return explore.items_in_run(totals, rows[1], rows[1] + rows[2])
    return explore.item_part(_filtered(db_path, profile, version, _part), by)


def item_parts(profile: str, filters: explore.Filters, by: str) -> list[pd.DataFrame]:
    """``explore.item_part`` of each content type chosen (cached per type): the artists, songs
    or albums with their streams and time, for ``explore.ranked_of`` and ``top_of``."""
    data = data_key(profile)
    return [_items(*data, rows_key(profile, part), part.min_ms, by, part) for part in content_parts(filters)]


def nothing_selected(profile: str, filters: explore.Filters) -> bool:
    """Whether the controls select no play (asked per content type: no frame of them all is made)."""
    data = data_key(profile)
    return all(_selected(*data, without_rule(part)).empty for part in content_parts(filters))


def content_plays(profile: str, tz: str, content: tuple[str, ...]) -> pd.DataFrame:
    """Every play of the chosen content, localised, whatever the dates and stream rule (the
    rows the date range is a slice of; cached per zone and content, a shallow copy)."""
    return _content_rows(*data_key(profile), tz, content).copy(deep=False)


def plays_on_click(profile: str, filters: explore.Filters) -> Callable[[], pd.DataFrame]:
    """The plays the controls select (``explore_frame``'s), made when called: for a download
    made on click. Streamlit calls it on a thread of its own, outside this person's session,
    so it asks nothing of Streamlit: the history is taken now, and filtered then."""
    plays = _named_plays(*data_key(profile))
    return lambda: explore.apply_filters(plays, filters)


def download_buttons(frame: pd.DataFrame | Callable[[], pd.DataFrame], name: str) -> None:
    """Download the cleaned plays behind the page, honouring the filters (CSV and Parquet).
    ``frame``: the plays, or a function that gives them (``plays_on_click``), called only when
    a button is clicked."""
    columns = ["local", "ms_played", "content_type", "track_name", "artist_name", "album_name", "track_id",
               "episode_name", "show_name", "platform_family", "conn_country", "reason_start", "reason_end",
               "shuffle", "skipped", "offline", "incognito", "is_stream"]

    def data() -> pd.DataFrame:
        rows = frame() if callable(frame) else frame
        return rows[columns].rename(columns={"local": "started_local"})

    left, right = st.columns(2)
    # callables: the files are built only when a button is clicked, not on every rerun
    left.download_button("Download these plays (CSV)", data=lambda: safety.csv_bytes(data()), file_name=f"{name}.csv",
                         mime="text/csv", key=f"dl_csv_{name}")
    right.download_button("Download these plays (Parquet)", data=lambda: _to_parquet(data()),
                          file_name=f"{name}.parquet", mime="application/octet-stream", key=f"dl_parquet_{name}")


def _to_parquet(data: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    text = safety.zoned_text(data["started_local"])  # as astype(str) writes it, without a Python object per play
    data.assign(started_local=data["started_local"].astype(str) if text is None else text).to_parquet(buffer, index=False)
    return buffer.getvalue()


def empty_state(empty: bool, profile: str) -> bool:
    """Explain an empty selection (``empty``: the controls select no play); returns ``empty``:
    True when there is nothing to draw."""
    if not empty:
        return False
    if all_plays(profile).empty:
        st.info(f"Profile “{plain(profile)}” has no plays yet. Import your export on the Import page, "
                "or load the demo from Home.")
    else:
        st.info("No plays match these controls. Widen the date range or pick more content types in the sidebar.")
    return True


def chart(where, chart, **options) -> None:
    """Draw an Altair chart in ``where`` (``st``, a column…) as ``where.altair_chart(chart,
    **options)`` would. A chart made by ``explore``'s builders is kept by them for the same
    data (``explore.chart_key``), and its Vega-Lite spec is kept with it, converted once: a
    page draws the same charts again on every run, and converting one costs 2-3 ms."""
    if explore.chart_key(chart) is None:
        where.altair_chart(chart, **options)
        return
    spec = chart.__dict__.get("_encore_spec")
    if spec is None:  # the conversion st.altair_chart makes (data as Arrow), kept on the chart
        spec = _vega_lite_spec(chart)
        object.__setattr__(chart, "_encore_spec", spec)  # SchemaBase routes attribute writes into the spec
    # Streamlit copies the spec's top level before changing it; below, it only sets a legend
    # title of None to " " in place, the same on every draw
    where.vega_lite_chart(spec=spec, **options)


def _vega_lite_spec(chart) -> dict:
    # Streamlit's own conversion (private: the version is pinned in requirements.txt, and the
    # page tests read every chart drawn through here)
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

    return _convert_altair_to_vega_lite_spec(chart)


# --- Spotify ----------------------------------------------------------------------------


def detail_link(kind: str, key: object, profile: str | None = None) -> str | None:
    """The address of an artist (``kind`` "artist", key: its name) or a song (``kind`` "song",
    key: its song key) on the Artist & track page, relative to any page; with ``profile``, a
    new tab opens in that profile."""
    if not isinstance(key, str) or not key:
        return None
    return f"./detail?{urlencode({kind: key, **({'profile': profile} if profile else {})})}"


def detail_links(kind: str, keys, profile: str | None = None, where=None) -> list[str | None]:
    """``detail_link`` for each key; None where ``where`` (one flag per key) is false, e.g. a
    song the listener never streamed: the Artist & track page has nothing to show for it."""
    keys = list(keys)
    shown = [True] * len(keys) if where is None else list(where)
    return [detail_link(kind, key, profile) if show else None for key, show in zip(keys, shown)]


def link_column(help: str = "Open it on the Artist & track page"):
    """How a table shows ``detail_links``: a narrow "Artist & track ↗" link."""
    return st.column_config.LinkColumn("", display_text="Artist & track ↗", width="small", help=help)


def spotify_client_id_from_secrets() -> str | None:
    """SPOTIFY_CLIENT_ID from .streamlit/secrets.toml (the environment is read by core.spotify)."""
    try:
        return st.secrets.get("SPOTIFY_CLIENT_ID")
    except Exception:  # no secrets.toml at all: the environment is the other place
        return None


def app_address() -> str:
    """This app on the loopback address and the port it runs on (where Spotify sends a
    person back to, unless SPOTIFY_REDIRECT_URI says otherwise)."""
    return f"http://127.0.0.1:{st.get_option('server.port')}"


def spotify_config():
    """The Spotify configuration, the redirect URI defaulting to this app's own port.

    Raises core.spotify.SpotifyConfigError when no client id is configured."""
    from core import spotify

    return spotify.load_config(client_id=spotify_client_id_from_secrets(),
                               default_redirect_uri=f"{app_address()}/spotify")


def spotify_client():
    """A spotipy client for this person's session (call it once they are signed in).

    Raises core.spotify.SpotifyConfigError when no client id is configured.
    """
    from core import spotify

    return spotify.make_client(spotify_config(), st.session_state)
