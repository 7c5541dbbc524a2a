"""A playlist as rows, and as CSV, M3U and JSON files."""
from __future__ import annotations

import math
import re
import unicodedata

import numpy as np
import pandas as pd

from core.chat.composer import Version
from core.chat.requests import TEMPO_SCALE
from core.safety import csv_bytes


def table(pool: pd.DataFrame, version: Version) -> pd.DataFrame:
    """The playlist as rows: artist, title, album, year, minutes, a few features, reason."""
    rows = pool.loc[list(version.track_keys)]
    out = pd.DataFrame({
        "track_key": rows.index.to_numpy(),
        "artist_name": rows["artist_name"].to_numpy(), "track_name": rows["track_name"].to_numpy(),
        "album_name": rows["album_name"].to_numpy(), "release_year": rows["release_year"].to_numpy(),
        "duration_ms": rows["duration_ms"].to_numpy(),
        "energy": rows["energy"].to_numpy(), "valence": rows["valence"].to_numpy(),
        "tempo": (rows["tempo"] * TEMPO_SCALE).round(1).to_numpy(),
        "danceability": rows["danceability"].to_numpy(), "acousticness": rows["acousticness"].to_numpy(),
        "genre": rows["genre"].to_numpy(), "track_uri": rows["track_uri"].to_numpy(),
        "known": rows["known"].to_numpy(), "reason": list(version.reasons),
    })
    return out


def to_csv(frame: pd.DataFrame) -> bytes:
    """The playlist as CSV; a cell that would run as a spreadsheet formula is shown as text."""
    return csv_bytes(frame.drop(columns=["track_key"]))


_SPOTIFY_TRACK_URI = re.compile(r"spotify:track:[0-9A-Za-z]{22}")


def to_m3u(frame: pd.DataFrame, name: str) -> bytes:
    """An extended M3U: one entry per track, the Spotify uri as the location where known.
    Every line is one line: names lose their control characters, and a location that is not
    a Spotify track uri is written as a comment, so no name or uri can add an entry."""
    lines = ["#EXTM3U", f"#PLAYLIST:{_one_line(name)}"]
    for row in frame.itertuples():
        seconds = -1 if pd.isna(row.duration_ms) else int(row.duration_ms) // 1000
        lines.append(f"#EXTINF:{seconds},{_one_line(row.artist_name)} - {_one_line(row.track_name)}")
        uri = row.track_uri if isinstance(row.track_uri, str) else ""
        lines.append(uri if _SPOTIFY_TRACK_URI.fullmatch(uri) else f"# not on Spotify: {_one_line(row.track_key)}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _one_line(value: object) -> str:
    text = value if isinstance(value, str) else "?"
    return " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in text).split())


def to_json(frame: pd.DataFrame, name: str) -> dict:
    """The playlist as the CLI's JSON: name and tracks (null where unknown)."""
    keys = ("track_uri", "track_name", "artist_name", "album_name", "release_year", "duration_ms", "energy",
            "valence", "tempo", "danceability", "acousticness", "genre", "reason")
    tracks = []
    for record in frame.to_dict("records"):
        item = {}
        for k in keys:
            v = record.get(k)
            if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
                item[k] = None
            elif k in ("release_year", "duration_ms"):
                item[k] = int(v)
            elif isinstance(v, (np.floating, float)):
                item[k] = float(v)
            else:
                item[k] = v
        tracks.append(item)
    return {"name": name, "tracks": tracks}
