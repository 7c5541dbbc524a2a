"""Spotify: sign in, sync into the store, find ids for plays without them, save playlists.

- ``client``: configuration, PKCE sign-in, the spotipy client with retries, the errors
- ``sync``: recently played, library, top lists and playlists into the store
- ``resolve``: track ids for plays without them, through search (cached in the store)
- ``playlists``: saving a playlist in chunks of 100, resumable; rename, remove tracks
- ``candidates``: songs never streamed found for Discover (search, artists' albums), every
  answer cached in the store
"""
# --- the package's API (generated from its modules' public names) ---
from core.spotify.candidates import (  # noqa: F401
    ALBUM_TRACKS_PAGE,
    ALBUMS_PAGE,
    ALBUMS_PER_ARTIST,
    ARTISTS,
    GENRES,
    MAX_CALLS,
    FindResult,
    find_new_songs,
    find_track,
    listener_artists,
    listener_genres,
    listening_years,
    planned_calls,
    write_found_songs,
)
from core.spotify.client import (  # noqa: F401
    ACCOUNTS_URL,
    API_URL,
    BACKOFF_S,
    CHUNK,
    CLOSED_EXPLANATION,
    DEFAULT_REDIRECT_URI,
    MAX_WAIT_S,
    PENDING_SIGN_IN_S,
    RETRIES,
    SCOPES,
    SEARCH_LIMIT,
    TIMEOUT_S,
    TOKEN_KEY,
    CappedRetry,
    DictCacheHandler,
    PlaylistSaveError,
    SessionPKCE,
    SpotifyAuthError,
    SpotifyClosedError,
    SpotifyConfig,
    SpotifyConfigError,
    SpotifyError,
    SpotifyRateLimitError,
    SpotifyRequestError,
    SpotifyUnavailableError,
    begin_sign_in,
    call,
    check_redirect_uri,
    finish_sign_in,
    is_signed_in,
    load_config,
    make_auth,
    make_client,
    make_session,
    pages,
    sign_out,
)
from core.spotify.playlists import (  # noqa: F401
    SAVE_TOKEN,
    playlist_url,
    remove_tracks,
    rename_playlist,
    resume_save,
    save_playlist,
    save_token,
    store_local_playlist,
    track_uri,
)
from core.spotify.resolve import (  # noqa: F401
    ResolveResult,
    accept_result,
    apply_resolved_ids,
    query_text,
    resolve_track_ids,
    search_query,
)
from core.spotify.sync import (  # noqa: F401
    FEATURES,
    PLAY_MATCH_S,
    SYNC_PARTS,
    TIME_RANGES,
    SyncResult,
    fetch_audio_features,
    first_artist,
    new_recent_plays,
    recent_play_row,
    sync_all,
    sync_followed_artists,
    sync_playlists,
    sync_recently_played,
    sync_saved_tracks,
    sync_top_items,
)
