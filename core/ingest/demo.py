"""A synthetic Spotify "Extended streaming history" export for the demo profile and benchmarks.

Everything here is invented: artists, albums, tracks, podcast shows and audiobooks are made-up
names. The play history is simulated so that the charts and the recommender have real
structure to find: listening sessions, habits by hour and weekday in Europe/Berlin, a taste
that drifts from year to year, favourite artists, monthly discoveries, skips, podcasts,
travel weeks, offline and incognito plays, and the quirks of real exports (duplicate rows,
null `skipped` in old rows, changing platform strings).

Output is a pure function of the arguments: every random draw comes from a generator seeded
by the `seed` argument, never from global state or the clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import pathlib
import random
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import orjson
from sqlite_utils import Database

from core import store
from core.catalog import catalogs
from core.ingest import importer
from core.ingest.importer import DEMO_PROFILE

__all__ = [
    "AUDIO_FEATURES",
    "CATALOG_KEYS",
    "DEMO_PROFILE",
    "DOCUMENTATION_IP",
    "EXPORT_FOLDER",
    "PLAY_KEYS",
    "build_demo",
    "generate_catalog",
    "generate_plays",
    "write_export",
]



# The subfolder Spotify puts inside the downloaded zip.
EXPORT_FOLDER = "Spotify Extended Streaming History"

# RFC 5737 documentation address: real exports carry the listener's IP here, and the importer
# must drop the column, so the demo makes it obvious if it ever leaks into the store.
DOCUMENTATION_IP = "203.0.113.7"

# Key order of the 2025+ export format (Spotify writes them in this order).
PLAY_KEYS: tuple[str, ...] = (
    "ts",
    "platform",
    "ms_played",
    "conn_country",
    "ip_addr",
    "master_metadata_track_name",
    "master_metadata_album_artist_name",
    "master_metadata_album_album_name",
    "spotify_track_uri",
    "episode_name",
    "episode_show_name",
    "spotify_episode_uri",
    "audiobook_title",
    "audiobook_uri",
    "audiobook_chapter_uri",
    "audiobook_chapter_title",
    "reason_start",
    "reason_end",
    "shuffle",
    "skipped",
    "offline",
    "offline_timestamp",
    "incognito_mode",
)

AUDIO_FEATURES: tuple[str, ...] = (
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
)

CATALOG_KEYS: tuple[str, ...] = (
    "track_uri",
    "track_name",
    "artist_name",
    "album_name",
    "genre",
    "release_year",
    "duration_ms",
    *AUDIO_FEATURES,
)

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# --------------------------------------------------------------------------------------------
# Catalog
# --------------------------------------------------------------------------------------------

# Per genre: (mean, sd) of each feature. The per-artist offset and per-track noise are drawn
# around these, so genres stay distinguishable while tracks still differ.
_GENRE_FEATURES: dict[str, dict[str, tuple[float, float]]] = {
    "indie folk": dict(danceability=(0.50, 0.10), energy=(0.38, 0.12), speechiness=(0.04, 0.02),
                       acousticness=(0.75, 0.15), instrumentalness=(0.05, 0.08),
                       liveness=(0.15, 0.08), valence=(0.42, 0.15), loudness=(-10.0, 3.0),
                       tempo=(105.0, 20.0)),
    "synth-pop": dict(danceability=(0.70, 0.08), energy=(0.72, 0.10), speechiness=(0.05, 0.02),
                      acousticness=(0.08, 0.08), instrumentalness=(0.06, 0.10),
                      liveness=(0.12, 0.06), valence=(0.62, 0.15), loudness=(-6.0, 1.5),
                      tempo=(118.0, 12.0)),
    "hip-hop": dict(danceability=(0.76, 0.08), energy=(0.64, 0.11), speechiness=(0.28, 0.10),
                    acousticness=(0.14, 0.10), instrumentalness=(0.01, 0.03),
                    liveness=(0.18, 0.10), valence=(0.50, 0.18), loudness=(-6.5, 2.0),
                    tempo=(95.0, 18.0)),
    "jazz": dict(danceability=(0.52, 0.12), energy=(0.35, 0.12), speechiness=(0.05, 0.03),
                 acousticness=(0.78, 0.12), instrumentalness=(0.62, 0.25), liveness=(0.22, 0.15),
                 valence=(0.50, 0.18), loudness=(-13.0, 3.0), tempo=(112.0, 28.0)),
    "classical": dict(danceability=(0.25, 0.09), energy=(0.14, 0.08), speechiness=(0.045, 0.01),
                      acousticness=(0.94, 0.05), instrumentalness=(0.88, 0.08),
                      liveness=(0.12, 0.06), valence=(0.24, 0.12), loudness=(-22.0, 4.0),
                      tempo=(96.0, 25.0)),
    "techno": dict(danceability=(0.78, 0.06), energy=(0.86, 0.07), speechiness=(0.06, 0.03),
                   acousticness=(0.01, 0.02), instrumentalness=(0.84, 0.10),
                   liveness=(0.10, 0.06), valence=(0.30, 0.14), loudness=(-7.5, 1.8),
                   tempo=(130.0, 5.0)),
    "metal": dict(danceability=(0.38, 0.10), energy=(0.94, 0.04), speechiness=(0.08, 0.04),
                  acousticness=(0.003, 0.005), instrumentalness=(0.12, 0.15),
                  liveness=(0.20, 0.12), valence=(0.24, 0.12), loudness=(-4.8, 1.2),
                  tempo=(148.0, 25.0)),
    "90s rock": dict(danceability=(0.48, 0.10), energy=(0.78, 0.10), speechiness=(0.045, 0.02),
                     acousticness=(0.08, 0.08), instrumentalness=(0.03, 0.05),
                     liveness=(0.19, 0.10), valence=(0.50, 0.18), loudness=(-8.0, 2.0),
                     tempo=(124.0, 22.0)),
    "ambient": dict(danceability=(0.22, 0.08), energy=(0.12, 0.07), speechiness=(0.04, 0.01),
                    acousticness=(0.82, 0.12), instrumentalness=(0.90, 0.07),
                    liveness=(0.10, 0.05), valence=(0.12, 0.08), loudness=(-24.0, 4.0),
                    tempo=(82.0, 18.0)),
    "latin": dict(danceability=(0.78, 0.07), energy=(0.74, 0.09), speechiness=(0.09, 0.05),
                  acousticness=(0.22, 0.12), instrumentalness=(0.01, 0.03), liveness=(0.16, 0.10),
                  valence=(0.78, 0.12), loudness=(-5.5, 1.5), tempo=(102.0, 14.0)),
}

_FEATURE_RANGES: dict[str, tuple[float, float]] = {
    "danceability": (0.0, 1.0),
    "energy": (0.0, 1.0),
    "speechiness": (0.0, 1.0),
    "acousticness": (0.0, 1.0),
    "instrumentalness": (0.0, 1.0),
    "liveness": (0.0, 1.0),
    "valence": (0.0, 1.0),
    "loudness": (-30.0, 0.0),
    "tempo": (60.0, 200.0),
}

# Per genre: track length (mean s, sd s), share of major-key tracks, first year an artist of
# the genre can start releasing. Classical and ambient run long, hip-hop and pop short.
_GENRE_SHAPE: dict[str, tuple[float, float, float, int]] = {
    "indie folk": (235, 50, 0.70, 2003),
    "synth-pop": (215, 35, 0.60, 2006),
    "hip-hop": (200, 40, 0.50, 2000),
    "jazz": (330, 120, 0.55, 1994),
    "classical": (420, 200, 0.55, 1992),
    "techno": (390, 90, 0.45, 2002),
    "metal": (290, 70, 0.30, 1996),
    "90s rock": (240, 50, 0.70, 1989),
    "ambient": (330, 120, 0.60, 2001),
    "latin": (210, 35, 0.65, 2008),
}

# Invented names; any resemblance to a real act is accidental.
_ARTISTS: dict[str, tuple[str, ...]] = {
    "indie folk": ("Marrow & Pine", "Wren Halloway", "The Tallow Creek Choir", "Juniper Oaks"),
    "synth-pop": ("Neon Vesper", "Lumen Arcade", "Kira Solenne", "Chrome Lilac"),
    "hip-hop": ("MC Quillfeather", "Lowkey Meridian", "Kofi Brightside", "Nia Concrete"),
    "jazz": ("The Ostinato Trio", "Marguerite Falk Quintet", "Elias Brandywine",
             "Blue Heron Sextet"),
    "classical": ("Ensemble Véridian", "Helena Strauss-Morrow", "Aurelian String Quartet",
                  "Tomasz Wielandt"),
    "techno": ("Kessler Grid", "Substrata 9", "Null Meridian", "Tunnel Theory"),
    "metal": ("Iron Sepulchre", "Grimfrost Hollow", "Ashen Cathedral", "Voidwalker Clan"),
    "90s rock": ("The Velcro Saints", "Paper Dinosaur", "Gasoline Halo", "Static Honey"),
    "ambient": ("Slow Tide Drift", "Mirelle Ono", "Glass Harbour", "Fernweh Lights"),
    "latin": ("Los Faros del Sur", "Sofía Albarrán", "Tumbao Eléctrico",
              "Ramón Quintero Trío"),
}

_ADJ = ("Golden", "Quiet", "Paper", "Electric", "Hollow", "Velvet", "Silver", "Broken",
        "Distant", "Midnight", "Northern", "Crimson", "Faded", "Wild", "Glass", "Borrowed",
        "Restless", "Secret", "Slow", "Bright", "Lonely", "Neon", "Burning", "Gentle", "Frozen",
        "Hidden", "Little", "Open", "Tender", "Violet")
_NOUN = ("River", "Lanterns", "Harbour", "Summer", "Static", "Orchard", "Windows", "Satellite",
         "Letters", "Fever", "Tide", "Mirrors", "Highway", "Garden", "Echoes", "Parade",
         "Wolves", "Embers", "Telephone", "Sparrow", "Lighthouse", "Circuit", "Horizon",
         "Rooftops", "Thunder", "Porcelain", "Compass", "Comet", "Avenue", "Daylight")
_TECHNO = ("Tunnel", "Pulse", "Kessel", "Vector", "Axis", "Rotor", "Grid", "Monolith", "Signal",
           "Flux", "Torque", "Strobe", "Concrete", "Halogen", "Reactor", "Sublevel")
_METAL_A = ("Throne", "Blood", "Ashes", "Storm", "Altar", "Ruin", "Iron", "Serpent", "Winter",
            "Shadow")
_METAL_B = ("the Void", "Dead Stars", "Black Pines", "Broken Kings", "the North", "Ash",
            "Silence", "Fire")
_FORMS = ("Sonata", "Nocturne", "Étude", "Prelude", "Concerto", "String Quartet", "Partita",
          "Symphony", "Fantasia", "Impromptu")
_KEYS = ("C major", "D minor", "E-flat major", "F-sharp minor", "G major", "A minor",
         "B-flat major", "C-sharp minor")
_MOVEMENTS = ("Allegro", "Adagio", "Andante con moto", "Presto", "Largo", "Allegretto",
              "Scherzo. Vivace", "Moderato")
_ROMAN = ("I", "II", "III", "IV")
_AMB_A = ("Slow", "Drifting", "Pale", "Soft", "Low", "Still", "Endless", "Fading")
_AMB_B = ("Light", "Fields", "Water", "Dusk", "Static", "Cloud", "Hours", "Haze")
_ES_NOUN = ("Luna", "Corazón", "Fuego", "Noche", "Camino", "Mar", "Sol", "Ventana", "Calle",
            "Sombra", "Río", "Flor")
_ES_ADJ = ("Salvaje", "Dorada", "Perdida", "Eterna", "Bonita", "Lejana", "Caliente",
           "Tranquila")


def _invent_title(rng: random.Random, genre: str, artist: str, kind: str) -> str:
    """A plausible track ("track") or album ("album") title in the style of `genre`."""
    a, n, n2 = rng.choice(_ADJ), rng.choice(_NOUN), rng.choice(_NOUN)
    if genre == "classical":
        form = rng.choice(_FORMS)
        if kind == "album":
            return rng.choice((f"{form}s, Vol. {rng.randint(1, 3)}", f"Complete {form}s",
                               f"{form}s & {rng.choice(_FORMS)}s"))
        return (f"{form} No. {rng.randint(1, 24)} in {rng.choice(_KEYS)}: "
                f"{rng.choice(_ROMAN)}. {rng.choice(_MOVEMENTS)}")
    if genre == "techno":
        word = rng.choice(_TECHNO)
        if kind == "album":
            return rng.choice((f"{word} EP", f"{word} {rng.choice(_TECHNO)}", f"Sublevel {word}"))
        title = rng.choice((f"{word} {rng.randint(1, 12):02d}", f"{word}{rng.choice(_TECHNO)}",
                            f"{word}"))
        # Extended mixes are why "same title, different length" happens in real catalogs.
        return title + (" - Extended Mix" if rng.random() < 0.25 else "")
    if genre == "metal":
        return f"{rng.choice(_METAL_A)} of {rng.choice(_METAL_B)}"
    if genre == "ambient":
        base = f"{rng.choice(_AMB_A)} {rng.choice(_AMB_B)}"
        return base if kind == "album" or rng.random() < 0.6 else f"{base} {rng.choice(_ROMAN)}"
    if genre == "latin":
        en, ea, en2 = rng.choice(_ES_NOUN), rng.choice(_ES_ADJ), rng.choice(_ES_NOUN)
        return rng.choice((f"{en} {ea}", f"{en} de {en2}", f"Baila {en}", f"Mi {en}"))
    if kind == "album":
        return rng.choice((f"{a} {n}", n, f"The {a} {n}", f"{n} & {n2}"))
    title = rng.choice((f"{a} {n}", n, f"The {a} {n}", f"{n} in the {n2}", f"Song for the {n}"))
    if genre == "hip-hop" and rng.random() < 0.15:
        guest = rng.choice([x for x in _ARTISTS["hip-hop"] if x != artist])
        title += f" (feat. {guest})"
    elif genre == "90s rock" and rng.random() < 0.2:
        # Remaster suffixes are the classic reason name-based matching needs normalising.
        title += f" - Remastered {rng.choice((2009, 2011, 2015, 2019))}"
    elif rng.random() < 0.04:
        title += rng.choice((" (Live)", " (Acoustic)", " - Radio Edit"))
    return title


def _random_base62(rng: random.Random, length: int = 22) -> str:
    return "".join(rng.choice(_BASE62) for _ in range(length))


def _hashed_base62(*parts: object, length: int = 22) -> str:
    """A base62 id that depends only on `parts`, so the same episode always gets the same URI."""
    value = int.from_bytes(hashlib.blake2b(repr(parts).encode(), digest_size=17).digest(), "big")
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 62)
        chars.append(_BASE62[digit])
    return "".join(chars)


def _clip(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def _album_years(rng: random.Random, genre: str, n_albums: int) -> list[int]:
    """Release years of an artist's albums: a career start, then an album every 1-4 years."""
    gaps = [rng.randint(1, 4) for _ in range(n_albums - 1)]
    first = _GENRE_SHAPE[genre][3]
    # Pick the debut so that the last album still comes out by 2025.
    latest_debut = 2025 - sum(gaps)
    if genre == "90s rock":
        debut = rng.randint(first, min(1997, latest_debut))
    elif genre == "classical":
        debut = rng.randint(first, min(2012, latest_debut))
    else:
        debut = rng.randint(max(first, 2000), min(2021, latest_debut))
    years = [debut]
    for gap in gaps:
        years.append(years[-1] + gap)
    return years


def generate_catalog(seed: int = 7) -> list[dict]:
    """Invent a catalog of 700-800 tracks by 40 artists in 10 genres, with audio features.

    Each dict has exactly the keys in `CATALOG_KEYS`. Features use Spotify's ranges and are
    drawn around a genre profile, then an artist offset, then per-track noise, so tracks of
    one artist resemble each other and genres are clearly apart (ambient is quiet and
    instrumental, techno danceable at ~130 BPM, hip-hop speechy, classical acoustic).
    The same seed always gives the same catalog.
    """
    rng = random.Random(f"encore-demo-catalog-{seed}")
    catalog: list[dict] = []
    seen_uris: set[str] = set()
    for genre, artists in _ARTISTS.items():
        profile = _GENRE_FEATURES[genre]
        length_mean, length_sd, major_share, _ = _GENRE_SHAPE[genre]
        for artist in artists:
            # Artists have a sound of their own: shift the genre profile a little.
            style = {f: mean + rng.gauss(0.0, sd * 0.5) for f, (mean, sd) in profile.items()}
            n_albums = rng.randint(2, 4)
            album_names: set[str] = set()
            track_names: set[str] = set()
            for year in _album_years(rng, genre, n_albums):
                album = _invent_title(rng, genre, artist, "album")
                while album in album_names:
                    album = _invent_title(rng, genre, artist, "album")
                album_names.add(album)
                for _ in range(rng.randint(4, 8)):
                    name = _invent_title(rng, genre, artist, "track")
                    while name in track_names:
                        name = _invent_title(rng, genre, artist, "track")
                    track_names.add(name)
                    uri = "spotify:track:" + _random_base62(rng)
                    while uri in seen_uris:
                        uri = "spotify:track:" + _random_base62(rng)
                    seen_uris.add(uri)
                    seconds = _clip(rng.gauss(length_mean, length_sd), 95.0, 1500.0)
                    track = {
                        "track_uri": uri,
                        "track_name": name,
                        "artist_name": artist,
                        "album_name": album,
                        "genre": genre,
                        "release_year": year,
                        "duration_ms": int(seconds * 1000) + rng.randint(0, 999),
                    }
                    for feature in AUDIO_FEATURES:
                        if feature == "key":
                            track["key"] = rng.randint(0, 11)
                        elif feature == "mode":
                            track["mode"] = 1 if rng.random() < major_share else 0
                        else:
                            low, high = _FEATURE_RANGES[feature]
                            noisy = rng.gauss(style[feature], profile[feature][1] * 0.8)
                            track[feature] = round(_clip(noisy, low, high), 3)
                    catalog.append(track)
    return catalog


# --------------------------------------------------------------------------------------------
# Plays
# --------------------------------------------------------------------------------------------

# Where in the date range each genre peaks (0 = start, 1 = end), how wide the peak is (same
# unit), its height and a floor. This is the "taste drift": folk and metal early, ambient in
# the middle, synth-pop and techno later, jazz and latin at the end; classical and 90s rock
# hum along.
_TASTE: dict[str, tuple[float, float, float, float]] = {
    "indie folk": (0.10, 0.22, 3.0, 0.30),
    "synth-pop": (0.52, 0.20, 2.6, 0.30),
    "hip-hop": (0.28, 0.25, 2.0, 0.40),
    "jazz": (0.92, 0.18, 2.4, 0.15),
    "classical": (0.50, 0.90, 0.4, 0.35),
    "techno": (0.70, 0.15, 2.6, 0.15),
    "metal": (-0.05, 0.18, 1.8, 0.15),
    "90s rock": (0.40, 0.60, 0.8, 0.50),
    "ambient": (0.35, 0.10, 2.2, 0.20),
    "latin": (1.00, 0.14, 2.2, 0.10),
}

# Session-start hour weights in local time. Weekdays: commute peaks, lunch, a long evening.
# Weekends: late mornings, afternoons, late nights.
_HOURS_WEEKDAY = np.array([0.30, 0.15, 0.05, 0.03, 0.03, 0.20, 1.00, 2.60, 2.40, 1.20, 0.90,
                           0.90, 1.30, 1.20, 0.90, 1.00, 1.40, 2.40, 2.60, 2.40, 2.80, 2.90,
                           2.20, 1.00])
_HOURS_WEEKEND = np.array([1.00, 0.70, 0.40, 0.20, 0.10, 0.10, 0.20, 0.30, 0.60, 1.20, 1.80,
                           2.00, 1.80, 1.60, 1.70, 1.80, 1.90, 2.00, 2.10, 2.30, 2.60, 2.70,
                           2.40, 1.80])
# Relative amount of listening Monday..Sunday.
_WEEKDAY_VOLUME = np.array([1.00, 1.00, 1.00, 1.05, 1.10, 1.15, 0.90])

# Devices: 0 phone, 1 desktop app, 2 web player, 3 cast speaker, 4 tablet. Each device's
# platform string changes over time the way real exports do (verbose OS strings until
# 2022-23, then the short "android"/"osx"/... form).
_PLATFORM_ERAS: tuple[tuple[tuple[str, str], ...], ...] = (
    (("0001-01-01", "Android OS 8.0.0 API 26 (samsung, SM-G950F)"),
     ("2019-03-01", "Android OS 9 API 28 (samsung, SM-G950F)"),
     ("2020-09-15", "Android OS 11 API 30 (Google, Pixel 4a)"),
     ("2022-11-20", "Android OS 13 API 33 (Google, Pixel 7)"),
     ("2023-06-01", "android")),
    (("0001-01-01", "Windows 10 (10.0.17134; x64)"),
     ("2019-06-01", "Windows 10 (10.0.18362; x64)"),
     ("2021-02-01", "OS X 10.15.7 [x86 8]"),
     ("2022-09-01", "osx"),
     ("2024-10-01", "windows")),
    (("0001-01-01", "web_player windows 10;chrome 64;desktop"),
     ("2019-01-01", "web_player windows 10;chrome 72;desktop"),
     ("2020-01-01", "web_player windows 10;chrome 80;desktop"),
     ("2021-01-01", "web_player windows 10;chrome 88;desktop"),
     ("2022-01-01", "web_player windows 10;chrome 98;desktop"),
     ("2023-01-01", "web_player windows 10;chrome 110;desktop"),
     ("2024-01-01", "web_player windows 10;chrome 120;desktop"),
     ("2025-01-01", "web_player windows 11;chrome 131;desktop")),
    (("0001-01-01", "Partner google cast_voice;Google_Home;;5.8.1"),),
    (("0001-01-01", "iOS 12.1.4 (iPad7,5)"),
     ("2020-10-01", "iOS 14.2 (iPad7,5)"),
     ("2022-08-01", "ios")),
)
_PHONE, _DESKTOP, _WEB, _SPEAKER, _TABLET = range(5)
# Device probabilities per situation: weekday commute, weekday work hours, weekday evening,
# night, weekend day, weekend evening.
_DEVICE_BY_SITUATION = np.array([
    [0.88, 0.04, 0.03, 0.00, 0.05],
    [0.25, 0.45, 0.28, 0.00, 0.02],
    [0.35, 0.22, 0.08, 0.28, 0.07],
    [0.70, 0.10, 0.05, 0.05, 0.10],
    [0.42, 0.12, 0.06, 0.28, 0.12],
    [0.35, 0.15, 0.05, 0.35, 0.10],
])

# Invented podcasts: name, episode-name prefix, typical length (min), days between episodes.
_SHOWS: tuple[tuple[str, str, float, float], ...] = (
    ("The Slow Commute", "Ep. ", 38.0, 7.0),
    ("Kitchen Table Economics", "#", 52.0, 7.0),
    ("Half-Remembered History", "Episode ", 61.0, 14.0),
    ("Signal & Noise Weekly", "", 44.0, 7.0),
    ("Small Rooms, Big Songs", "Session ", 35.0, 14.0),
    ("Tiny Planet Science", "", 27.0, 4.0),
)
# When in the date range the listener follows each show (start, end as fractions).
_SHOW_WINDOWS = ((0.0, 0.55), (0.05, 1.0), (0.3, 0.8), (0.5, 1.0), (0.0, 1.0), (0.7, 1.0))
_TOPICS = ("the Price of Coffee", "Night Trains", "Forgotten Inventors", "Bees", "Tiny Houses",
           "the Baltic Sea", "Sleep", "Salt", "Libraries", "Volcanoes", "Lost Languages",
           "Cheap Flights", "Street Food", "Rain", "Chess", "Fungi", "Lighthouses", "Glaciers",
           "Maps", "Time Zones", "Vinyl", "Bicycles", "Bread", "Comets")
_FRAMES = ("Why We Love {}", "The Secret Life of {}", "Everything About {}", "{}, Explained",
           "A Short History of {}", "What Nobody Tells You About {}", "Live: {}", "Q&A: {}")

# Invented audiobooks: title, chapters, typical chapter length (min).
_BOOKS: tuple[tuple[str, int, float], ...] = (
    ("The Cartographer's Daughter", 24, 28.0),
    ("Notes from a Lighthouse", 18, 22.0),
    ("A Short Atlas of Weather", 30, 19.0),
)
# Spotify sold audiobooks from late 2022; before that no export can contain them.
_AUDIOBOOKS_FROM = dt.date(2022, 10, 1)

_PODCAST_SHARE = 0.04
_AUDIOBOOK_SHARE = 0.005
_MS_PER_DAY = 86_400_000
_MIN_SESSION_GAP_MS = 31 * 60_000


def _parse_day(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a date like '2018-01-01'") from None


def _last_sunday(year: int, month: int) -> dt.date:
    last = dt.date(year, month, 31)
    return last - dt.timedelta(days=(last.weekday() + 1) % 7)


def _berlin_offset_hours(days: np.ndarray) -> np.ndarray:
    """UTC offset of Europe/Berlin (1 or 2) for each day, given as days since 1970-01-01.

    The EU summer-time rule (last Sunday of March to last Sunday of October) is computed
    instead of read from tzdata, so the generator gives identical output on machines with
    different or missing time-zone databases. Only the small hours of the two switch days
    are off by an hour, which no chart can see.
    """
    epoch = dt.date(1970, 1, 1)
    years = days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    offsets = np.ones(len(days), dtype=np.int64)
    for year in np.unique(years).tolist():
        begin = (_last_sunday(year, 3) - epoch).days
        finish = (_last_sunday(year, 10) - epoch).days
        offsets[(years == year) & (days >= begin) & (days < finish)] = 2
    return offsets


def _weighted_pick(rng: np.random.Generator, cdf: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each i, draw a column of the categorical distribution whose cumulative sums are
    cdf[rows[i]] (one row per group), all at once."""
    u = rng.random(len(rows))
    picked = (u[:, None] * cdf[rows, -1:] >= cdf[rows]).sum(axis=1)
    return np.minimum(picked, cdf.shape[1] - 1)


class _Catalog:
    """The catalog as numpy arrays, in catalog order (albums are contiguous runs)."""

    def __init__(self, catalog: Sequence[dict]) -> None:
        if not catalog:
            raise ValueError("the catalog is empty: generate_plays needs at least one track")
        self.uri = np.array([t["track_uri"] for t in catalog], dtype=object)
        self.name = np.array([t["track_name"] for t in catalog], dtype=object)
        self.artist = np.array([t["artist_name"] for t in catalog], dtype=object)
        self.album = np.array([t["album_name"] for t in catalog], dtype=object)
        self.duration = np.array([int(t["duration_ms"]) for t in catalog], dtype=np.int64)
        self.year = np.array([int(t["release_year"]) for t in catalog], dtype=np.int64)
        genres = list(dict.fromkeys(t["genre"] for t in catalog))
        self.genres = genres
        self.genre = np.array([genres.index(t["genre"]) for t in catalog], dtype=np.int64)
        artists = list(dict.fromkeys(t["artist_name"] for t in catalog))
        self.n_artists = len(artists)
        artist_index = {a: i for i, a in enumerate(artists)}
        self.artist_id = np.array([artist_index[a] for a in self.artist], dtype=np.int64)
        # Albums keyed by (artist, album) because titles repeat across artists.
        album_keys = list(dict.fromkeys((t["artist_name"], t["album_name"]) for t in catalog))
        key_index = {k: i for i, k in enumerate(album_keys)}
        album_id = np.array([key_index[(t["artist_name"], t["album_name"])] for t in catalog])
        order = np.argsort(album_id, kind="stable")
        self.album_tracks = order  # tracks grouped by album, in catalog order inside an album
        counts = np.bincount(album_id, minlength=len(album_keys))
        self.album_start = np.concatenate(([0], np.cumsum(counts)[:-1]))
        self.album_len = counts
        self.album_id = album_id
        self.pos_in_album = np.empty(len(catalog), dtype=np.int64)
        self.pos_in_album[order] = np.arange(len(catalog)) - self.album_start[album_id[order]]
        self.size = len(catalog)


def _track_preferences(rng: np.random.Generator, cat: _Catalog) -> tuple[np.ndarray, np.ndarray]:
    """Base weight of every track (favourite artists, hits within an artist) and a skip factor
    (the less liked a track, the more it is skipped)."""
    artist_weight = np.exp(rng.normal(0.0, 0.6, cat.n_artists))
    favourites = rng.choice(cat.n_artists, size=min(5, cat.n_artists), replace=False)
    artist_weight[favourites] *= 5.0
    # A Zipf curve over each artist's tracks in a random order: every artist has hits.
    track_rank = np.empty(cat.size, dtype=np.int64)
    shuffled = rng.permutation(cat.size)
    by_artist = shuffled[np.argsort(cat.artist_id[shuffled], kind="stable")]
    starts = np.searchsorted(cat.artist_id[by_artist], np.arange(cat.n_artists))
    track_rank[by_artist] = np.arange(cat.size) - starts[cat.artist_id[by_artist]]
    weight = artist_weight[cat.artist_id] / (track_rank + 1.0) ** 0.9
    log_w = np.log(weight)
    z = (log_w - log_w.mean()) / (log_w.std() + 1e-9)
    skip_factor = np.exp(-0.35 * z + rng.normal(0.0, 0.25, cat.size))
    return weight, skip_factor


def _genre_taste(rng: np.random.Generator, genres: list[str], month_pos: np.ndarray) -> np.ndarray:
    """Weight of each genre in each month (months x genres): the drifting taste."""
    taste = np.empty((len(month_pos), len(genres)))
    for g, genre in enumerate(genres):
        if genre in _TASTE:
            peak, width, height, floor = _TASTE[genre]
        else:  # a caller-supplied genre: give it a random but seeded career
            peak, width, height, floor = rng.uniform(0, 1), 0.25, rng.uniform(0.5, 2.5), 0.2
        peak += rng.normal(0.0, 0.03)
        taste[:, g] = floor + height * np.exp(-0.5 * ((month_pos - peak) / width) ** 2)
    return taste


def _episode(show: int, number: int, seed: int) -> tuple[str, str, int]:
    """Name, URI and length (ms) of episode `number` of show `show`; the same every time."""
    name, prefix, minutes, _ = _SHOWS[show]
    h = int.from_bytes(hashlib.blake2b(f"{seed}:{show}:{number}".encode(),
                                       digest_size=8).digest(), "big")
    title = _FRAMES[h % len(_FRAMES)].format(_TOPICS[(h >> 8) % len(_TOPICS)])
    length_ms = int(minutes * 60_000 * (0.7 + 0.6 * ((h >> 16) % 1000) / 1000))
    uri = "spotify:episode:" + _hashed_base62("episode", seed, show, number)
    return f"{prefix}{number}: {title}", uri, length_ms


def _split_exact(rng: np.random.Generator, total: int, sizes: np.ndarray,
                 probs: np.ndarray) -> np.ndarray:
    """Random block lengths drawn from `sizes` that add up to exactly `total`."""
    if total <= 0:
        return np.zeros(0, dtype=np.int64)
    mean = float((sizes * probs).sum())
    blocks = np.zeros(0, dtype=np.int64)
    while blocks.sum() < total:
        more = rng.choice(sizes, size=int(total / mean) + 8, p=probs)
        blocks = np.concatenate((blocks, more))
    cut = int(np.searchsorted(np.cumsum(blocks), total))
    blocks = blocks[: cut + 1].copy()
    blocks[-1] -= blocks.sum() - total
    return blocks[blocks > 0]


@dataclass(frozen=True)
class _Calendar:
    """The date range, one entry per local day (or per month where named so)."""

    days: np.ndarray         # days since 1970-01-01
    weekend: np.ndarray      # Saturday or Sunday
    month: np.ndarray        # month number, 0 = the first month of the range
    midnight_ms: np.ndarray  # local midnight as UTC epoch ms
    weight: np.ndarray       # share of all listening that falls on the day
    country: np.ndarray      # 0 DE, 1 FR, 2 ES
    month_years: np.ndarray  # per month: its calendar year
    month_pos: np.ndarray    # per month: position on the taste timeline (0..1 over >= 3 years)
    first_month: int         # months since 1970-01 of month 0
    start_ms: int            # range start (first local midnight) as UTC epoch ms
    end_ms: int              # range end (midnight after the last day) as UTC epoch ms


def _make_calendar(rng: np.random.Generator, first_day: dt.date, last_day: dt.date) -> _Calendar:
    epoch = dt.date(1970, 1, 1)
    day0 = (first_day - epoch).days
    n_days = (last_day - first_day).days + 1
    days = np.arange(day0, day0 + n_days, dtype=np.int64)
    dates = days.astype("datetime64[D]")
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    months = dates.astype("datetime64[M]").astype(np.int64)
    first_month = int(months[0])
    n_months = int(months[-1]) - first_month + 1
    midnight_ms = (days * 24 - _berlin_offset_hours(days)) * 3_600_000

    # Volume per day: weekday habit, slow growth over the years, noisy days, days off.
    growth = 0.7 + 0.6 * np.arange(n_days) / max(n_days - 1, 1)
    noise = rng.gamma(2.0, 0.5, n_days)
    noise[rng.random(n_days) < 0.08] = 0.03
    weight = _WEEKDAY_VOLUME[weekday] * growth * noise

    # Two trips a year to France or Spain (same time zone as Berlin, so hours stay local).
    country = np.zeros(n_days, dtype=np.int64)
    for year in np.unique(years).tolist():
        in_year = np.flatnonzero(years == year)
        for _ in range(2):
            length = int(rng.integers(5, 11))
            begin = int(rng.integers(0, max(len(in_year) - length, 1)))
            country[in_year[begin: begin + length]] = int(rng.integers(1, 3))

    return _Calendar(
        days=days, weekend=weekday >= 5, month=months - first_month, midnight_ms=midnight_ms,
        weight=weight / weight.sum(), country=country,
        month_years=(np.arange(n_months) + first_month) // 12 + 1970,
        # Drift is measured against at least three years, so a short range doesn't whip
        # through a lifetime of taste in a few weeks.
        month_pos=(np.arange(n_months) + 0.5) / max(n_months, 36),
        first_month=first_month, start_ms=int(midnight_ms[0]),
        end_ms=int(midnight_ms[-1]) + _MS_PER_DAY)


@dataclass(frozen=True)
class _Sessions:
    """Listening sessions in order of their wanted start, one entry per session."""

    day: np.ndarray         # index into the calendar
    hour: np.ndarray        # local hour the session wants to start
    wanted_ms: np.ndarray   # wanted start, UTC epoch ms
    music_len: np.ndarray   # number of tracks
    pod_len: np.ndarray     # podcast episodes at the start
    book_len: np.ndarray    # audiobook chapters at the end
    device: np.ndarray      # _PHONE, _DESKTOP, ...
    platform: np.ndarray    # the export's platform string
    album: np.ndarray       # plays one album in order
    shuffle: np.ndarray
    incognito: np.ndarray
    offline: np.ndarray

    @property
    def size(self) -> int:
        return len(self.day)


def _session_lengths(rng: np.random.Generator, n_music: int, n_days: int) -> np.ndarray:
    """Number of tracks per session, adding up to exactly `n_music` (every session >= 1).

    A gamma shape rather than geometric: plenty of short sessions but no all-night tail to
    smear the hour-of-day habits. Heavy listeners get longer sessions, not more of them.
    """
    mean_len = max(9.0, n_music / (n_days * 4.0))
    lengths = np.zeros(0, dtype=np.int64)
    while lengths.sum() < n_music:
        more = 1 + rng.gamma(2.0, (mean_len - 0.5) / 2.0,
                             size=int(n_music / mean_len * 1.2) + 8).astype(np.int64)
        lengths = np.concatenate((lengths, more))
    cut = int(np.searchsorted(np.cumsum(lengths), n_music))
    lengths = lengths[: cut + 1].copy()
    lengths[-1] -= lengths.sum() - n_music
    return lengths


def _attach_blocks(rng: np.random.Generator, total: int, sizes: np.ndarray, probs: np.ndarray,
                   session_weight: np.ndarray) -> np.ndarray:
    """Spread `total` plays in small blocks over sessions; returns plays per session."""
    blocks = _split_exact(rng, total, sizes, probs)
    chosen = rng.choice(len(session_weight), size=len(blocks),
                        p=session_weight / session_weight.sum())
    return np.bincount(chosen, weights=blocks, minlength=len(session_weight)).astype(np.int64)


def _platform_strings(device: np.ndarray, days: np.ndarray) -> np.ndarray:
    """The platform string each device reported on each day."""
    epoch = dt.date(1970, 1, 1)
    platform = np.empty(len(device), dtype=object)
    for d, eras in enumerate(_PLATFORM_ERAS):
        mask = device == d
        starts = np.array([(dt.date.fromisoformat(since) - epoch).days for since, _ in eras])
        names = np.array([name for _, name in eras], dtype=object)
        platform[mask] = names[np.searchsorted(starts, days[mask], side="right") - 1]
    return platform


def _plan_sessions(rng: np.random.Generator, cal: _Calendar, n_music: int, n_podcast: int,
                   n_audiobook: int) -> _Sessions:
    music_len = _session_lengths(rng, n_music, len(cal.days))
    size = len(music_len)
    day = rng.choice(len(cal.days), size=size, p=cal.weight)
    weekend = cal.weekend[day]
    hour_cdf = np.cumsum(np.stack((_HOURS_WEEKDAY, _HOURS_WEEKEND)), axis=1)
    hour = _weighted_pick(rng, hour_cdf, weekend.astype(np.int64))
    wanted_ms = cal.midnight_ms[day] + (hour * 3600 + rng.integers(0, 3600, size)) * 1000
    order = np.argsort(wanted_ms, kind="stable")
    day, weekend, hour, wanted_ms = day[order], weekend[order], hour[order], wanted_ms[order]

    # Podcasts ride along at the start of sessions, mostly on weekday commutes; audiobook
    # chapters close late-evening sessions, and only once Spotify sold audiobooks.
    commute = ~weekend & (((hour >= 6) & (hour < 10)) | ((hour >= 16) & (hour < 19)))
    pod_len = _attach_blocks(rng, n_podcast, np.array([1, 2, 3]), np.array([0.6, 0.3, 0.1]),
                             np.where(commute, 6.0, 1.0))
    sold = cal.days[day] >= (_AUDIOBOOKS_FROM - dt.date(1970, 1, 1)).days
    book_weight = np.where(sold | ~sold.any(), 1.0, 0.0) * np.where(hour >= 21, 6.0, 1.0)
    book_len = _attach_blocks(rng, n_audiobook, np.array([1, 2, 3, 4]),
                              np.array([0.4, 0.3, 0.2, 0.1]), book_weight)

    situation = np.where(
        weekend,
        np.where(hour >= 18, 5, np.where(hour < 6, 3, 4)),
        np.where(commute, 0, np.where((hour >= 10) & (hour < 16), 1,
                                      np.where(hour < 6, 3, 2))))
    device = _weighted_pick(rng, np.cumsum(_DEVICE_BY_SITUATION, axis=1), situation)
    abroad = cal.country[day] > 0
    device[abroad] = np.where(rng.random(int(abroad.sum())) < 0.9, _PHONE, _TABLET)
    album = rng.random(size) < 0.12
    return _Sessions(
        day=day, hour=hour, wanted_ms=wanted_ms, music_len=music_len, pod_len=pod_len,
        book_len=book_len, device=device, platform=_platform_strings(device, cal.days[day]),
        album=album, shuffle=~album & (rng.random(size) < 0.55),
        incognito=rng.random(size) < 0.03,
        # Offline is a phone thing, and much more common abroad (no roaming data).
        offline=(device == _PHONE) & (rng.random(size) < np.where(abroad, 0.3, 0.03)))


_MUSIC, _PODCAST, _BOOK = 0, 1, 2


@dataclass(frozen=True)
class _Layout:
    """Where each play sits: its session and position; one entry per play."""

    session: np.ndarray
    pos: np.ndarray      # 0 = opens the session
    first: np.ndarray    # per session: index of its first play
    last: np.ndarray     # the play ends its session
    kind: np.ndarray     # _MUSIC, _PODCAST or _BOOK


def _lay_out(sess: _Sessions) -> _Layout:
    length = sess.pod_len + sess.music_len + sess.book_len
    session = np.repeat(np.arange(sess.size), length)
    first = np.concatenate(([0], np.cumsum(length)[:-1]))
    pos = np.arange(len(session)) - first[session]
    kind = np.where(pos < sess.pod_len[session], _PODCAST,
                    np.where(pos < (sess.pod_len + sess.music_len)[session], _MUSIC, _BOOK))
    return _Layout(session=session, pos=pos, first=first, last=pos == length[session] - 1,
                   kind=kind)


def _pick_tracks(rng: np.random.Generator, cat: _Catalog, cal: _Calendar, sess: _Sessions,
                 lay: _Layout, base_weight: np.ndarray) -> np.ndarray:
    """The catalog index of every music play (other plays get 0)."""
    n_months, n_genres = len(cal.month_years), len(cat.genres)
    # A track becomes playable when the listener discovers it: some are old favourites known
    # from the start, the rest turn up month by month, new releases soon after they come out.
    release_month = (cat.year - 1970) * 12 - cal.first_month
    known_at_start = (cat.year < cal.month_years[0]) & (rng.random(cat.size) < 0.35)
    earliest = np.clip(release_month, 0, n_months - 1)
    soon = rng.random(cat.size) < 0.5
    whenever = (rng.random(cat.size) * (n_months - earliest)).astype(np.int64)
    discovery = np.where(soon, earliest + rng.integers(0, 4, cat.size), earliest + whenever)
    discovery = np.where(known_at_start, -1, discovery)
    since = np.arange(n_months)[:, None] - discovery[None, :]  # months x tracks
    released = cat.year[None, :] <= cal.month_years[:, None]
    # Just-discovered tracks are on repeat for a few weeks, then settle to their base weight;
    # released but undiscovered ones get a trickle so a genre coming into fashion has music.
    weight = np.where((since >= 0) & released,
                      base_weight * (1.0 + 5.0 * np.exp(-np.maximum(since, 0) / 1.5)),
                      np.where(released, base_weight * 0.02, 0.0))

    genre_mass = np.stack([weight[:, cat.genre == g].sum(axis=1) for g in range(n_genres)],
                          axis=1)
    taste = _genre_taste(rng, cat.genres, cal.month_pos) * (genre_mass > 0)
    taste[taste.sum(axis=1) == 0] = 1.0  # a month before every release: anything goes
    taste_cdf = np.cumsum(taste, axis=1)
    s_month = cal.month[sess.day]
    play_month = s_month[lay.session]
    # Sessions stick to a mood; a third of the tracks wander to whatever else is in favour.
    focus = _weighted_pick(rng, taste_cdf, s_month)[lay.session]
    wander = rng.random(len(lay.session)) < 0.3
    play_genre = np.where(wander, _weighted_pick(rng, taste_cdf, play_month), focus)

    # Draw per (month, genre) group with one cumulative table each.
    track = np.zeros(len(lay.session), dtype=np.int64)
    music_idx = np.flatnonzero(lay.kind == _MUSIC)
    group = play_month[music_idx] * n_genres + play_genre[music_idx]
    by_group = np.argsort(group, kind="stable")
    group_sorted = group[by_group]
    cuts = np.flatnonzero(np.diff(group_sorted)) + 1
    genre_members = [np.flatnonzero(cat.genre == g) for g in range(n_genres)]
    u = rng.random(len(music_idx))
    for lo, hi in zip(np.concatenate(([0], cuts)), np.concatenate((cuts, [len(group)]))):
        month, genre = divmod(int(group_sorted[lo]), n_genres)
        members, w = genre_members[genre], weight[month, genre_members[genre]]
        if w.sum() <= 0:  # nothing of this genre out yet: anything released will do
            members = np.arange(cat.size)
            w = weight[month] if weight[month].sum() > 0 else base_weight
        cdf = np.cumsum(w)
        rows = by_group[lo:hi]
        picked = np.searchsorted(cdf, u[rows] * cdf[-1], side="right")
        track[music_idx[rows]] = members[np.minimum(picked, len(members) - 1)]

    # Album sessions play on through the album from the first track picked.
    in_album = (lay.kind == _MUSIC) & sess.album[lay.session]
    if in_album.any():
        s = lay.session[in_album]
        t0 = track[lay.first[s] + sess.pod_len[s]]
        a0 = cat.album_id[t0]
        step = (cat.pos_in_album[t0] + lay.pos[in_album] - sess.pod_len[s]) % cat.album_len[a0]
        track[in_album] = cat.album_tracks[cat.album_start[a0] + step]
    return track


def _spoken_word(rng: np.random.Generator, seed: int, cal: _Calendar, sess: _Sessions,
                 lay: _Layout) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Episode and audiobook columns, and the full length (ms) of every spoken-word play."""
    n = len(lay.session)
    cols = {key: np.full(n, None, dtype=object) for key in (
        "episode_name", "episode_show_name", "spotify_episode_uri", "audiobook_title",
        "audiobook_uri", "audiobook_chapter_uri", "audiobook_chapter_title")}
    length_ms = np.zeros(n, dtype=np.int64)

    pod_idx = np.flatnonzero(lay.kind == _PODCAST)
    if len(pod_idx):
        follows = np.array([[1.0 if a <= p <= b else 0.05 for a, b in _SHOW_WINDOWS]
                            for p in cal.month_pos])
        show_of_session = _weighted_pick(rng, np.cumsum(follows, axis=1), cal.month[sess.day])
        backlog = rng.geometric(0.6, sess.size) - 1
        s = lay.session[pod_idx]
        show = show_of_session[s]
        cadence = np.array([days for *_, days in _SHOWS])[show]
        # Episode numbers follow the calendar (a weekly show is ~52 episodes further a year
        # on); a block works back through older episodes.
        newest = (cal.days[sess.day[s]] - cal.days[0]) / cadence + 40 + 17 * show
        number = np.maximum(newest.astype(np.int64) - backlog[s] - lay.pos[pod_idx], 1)
        cache: dict[tuple[int, int], tuple[str, str, int]] = {}
        for i, sh, num in zip(pod_idx.tolist(), show.tolist(), number.tolist()):
            if (sh, num) not in cache:
                cache[(sh, num)] = _episode(sh, num, seed)
            name, uri, length = cache[(sh, num)]
            cols["episode_name"][i], cols["spotify_episode_uri"][i] = name, uri
            cols["episode_show_name"][i], length_ms[i] = _SHOWS[sh][0], length

    book_idx = np.flatnonzero(lay.kind == _BOOK)
    if len(book_idx):
        # One chapter after another through the books; now and then a chapter is heard
        # twice (fell asleep).
        advance = (rng.random(len(book_idx)) > 0.1).astype(np.int64)
        advance[0] = 0
        chapters = [(b, c) for b, (_, count, _) in enumerate(_BOOKS) for c in range(1, count + 1)]
        for i, step in zip(book_idx.tolist(), (np.cumsum(advance) % len(chapters)).tolist()):
            b, c = chapters[step]
            title, _, minutes = _BOOKS[b]
            cols["audiobook_title"][i] = title
            cols["audiobook_uri"][i] = "spotify:show:" + _hashed_base62("book", seed, b)
            cols["audiobook_chapter_uri"][i] = ("spotify:episode:"
                                                + _hashed_base62("chapter", seed, b, c))
            cols["audiobook_chapter_title"][i] = f"Chapter {c}"
            length_ms[i] = int(minutes * 60_000 * (0.75 + 0.05 * ((b * 31 + c * 17) % 10)))
    return cols, length_ms


def _skip_more_when_dense(skip_p: np.ndarray, music: np.ndarray, track_ms: np.ndarray,
                          spoken_ms: np.ndarray, n_sessions: int, budget_ms: float) -> np.ndarray:
    """Raise the skip probability of music plays just enough that the expected listening
    time fits in `budget_ms`.

    Nothing changes for ordinary histories. A million plays in eight years is 340 plays a
    day: a person only gets there by skipping through most of them, so that is what the
    simulated listener does instead of playing in overlapping sessions.
    """
    skip_ms, partial_share = 12_400.0, 0.08
    p, c = skip_p[music], track_ms[music].astype(float)
    # Expected ms_played of a music play: done (c), skipped (~12 s) or half-heard (c / 2).
    music_ms = float((c * (1.0 - partial_share / 2 - p) + skip_ms * p).sum())
    spoken = float(spoken_ms[~music].sum()) * 0.7
    overhead = n_sessions * 34 * 60_000.0 + len(skip_p) * 12_000.0  # breaks and pauses
    excess = music_ms + spoken + overhead - budget_ms
    saving_per_unit = float(((1.0 - p) * (c - skip_ms)).sum())
    if excess <= 0 or saving_per_unit <= 0:
        return skip_p
    extra = min(excess / saving_per_unit, 0.95)
    boosted = skip_p.copy()
    boosted[music] = p + (1.0 - p) * extra
    return boosted


@dataclass(frozen=True)
class _Endings:
    """How each play went; one entry per play."""

    track: np.ndarray        # final catalog index (a "back" press repeats the track)
    reason_start: np.ndarray
    reason_end: np.ndarray
    skipped: np.ndarray      # bool, before the pre-2020 export quirk is applied
    ms_played: np.ndarray


# What the next play's reason_start is after a play ended for this reason.
_NEXT_START = {"trackdone": "trackdone", "fwdbtn": "fwdbtn", "backbtn": "backbtn",
               "endplay": "clickrow", "remote": "remote", "trackerror": "trackerror"}


def _play_endings(rng: np.random.Generator, cat: _Catalog, sess: _Sessions, lay: _Layout,
                  track: np.ndarray, spoken_ms: np.ndarray, skip_factor: np.ndarray,
                  budget_ms: float) -> _Endings:
    n = len(lay.session)
    music = lay.kind == _MUSIC
    last = lay.last
    # 0 heard to the end, 1 skipped early, 2 stopped part-way, 3 never started (ms_played 0).
    skip_p = np.clip(np.where(sess.shuffle[lay.session], 0.24, 0.12) * skip_factor[track],
                     0.02, 0.8)
    skip_p = _skip_more_when_dense(skip_p, music, cat.duration[track], spoken_ms, sess.size,
                                   budget_ms)
    u = rng.random(n)
    outcome = np.where(u < skip_p, 1, np.where(u < skip_p + 0.08, 2, 0))
    outcome = np.where(music, outcome, np.where(rng.random(n) < 0.4, 0, 2))
    outcome[last & (rng.random(n) < 0.5)] = 2  # people stop mid-track
    outcome[music & (rng.random(n) < 0.004)] = 3

    reason_end = np.empty(n, dtype=object)
    pick = rng.random(n)
    reason_end[outcome == 0] = "trackdone"
    skip = outcome == 1
    reason_end[skip] = np.where(pick[skip] < 0.88, "fwdbtn", "backbtn")
    mid = (outcome == 2) & ~last
    reason_end[mid] = np.select([pick[mid] < 0.55, pick[mid] < 0.85, pick[mid] < 0.95],
                                ["endplay", "fwdbtn", "backbtn"], "remote")
    final = (outcome == 2) & last
    reason_end[final] = np.select([pick[final] < 0.55, pick[final] < 0.75, pick[final] < 0.9],
                                  ["endplay", "logout", "unexpected-exit-while-paused"],
                                  "unexpected-exit")
    zero = outcome == 3
    reason_end[zero] = np.select([pick[zero] < 0.5, pick[zero] < 0.8], ["fwdbtn", "trackerror"],
                                 "endplay")

    # "Back" restarts the track: the next play is the same song again.
    again = np.zeros(n, dtype=bool)
    again[1:] = (reason_end[:-1] == "backbtn") & music[1:] & music[:-1] & ~last[:-1]
    source = np.maximum.accumulate(np.where(again, 0, np.arange(n)))
    track = np.where(music, track[source], track)

    # A play starts because of how the previous one ended, or because the session began.
    reason_start = np.empty(n, dtype=object)
    previous = np.concatenate(([None], reason_end[:-1]))
    for before, after in _NEXT_START.items():
        reason_start[previous == before] = after
    reason_start[1:][lay.kind[1:] != lay.kind[:-1]] = "clickrow"
    opening = lay.pos == 0
    how = rng.random(n)
    starters = np.select([how < 0.5, how < 0.8], ["clickrow", "playbtn"], "appload")
    reason_start[opening] = np.where(sess.device[lay.session[opening]] == _SPEAKER, "remote",
                                     starters[opening])

    length = np.where(music, cat.duration[track], spoken_ms)
    ms_played = length - rng.integers(0, 1200, n)  # "done" stops a hair before the end
    skip_ms = np.minimum((rng.exponential(12_000, n) + 400).astype(np.int64), length // 2)
    ms_played = np.where(outcome == 1, skip_ms, ms_played)
    partial = (rng.uniform(0.05, 0.95, n) * length).astype(np.int64)
    ms_played = np.where(outcome == 2, partial, ms_played)
    ms_played = np.maximum(np.where(outcome == 3, 0, ms_played), 0)
    # Spoken word counts as skipped only when forwarded.
    skipped = (reason_end == "fwdbtn") | (skip & music)
    return _Endings(track=track, reason_start=reason_start, reason_end=reason_end,
                    skipped=skipped, ms_played=ms_played)


def _place(rng: np.random.Generator, cal: _Calendar, sess: _Sessions, lay: _Layout,
           ms_played: np.ndarray) -> np.ndarray | None:
    """End time (UTC epoch ms) of every play; None if the plays cannot fit in the range."""
    n = len(lay.session)
    # A second or two between tracks (at least one, so every play has its own ts), now and
    # then a pause of a few minutes that stays well inside the 30-minute session gap.
    gap = rng.integers(1000, 3000, n)
    pause = rng.random(n) < 0.03
    gap[pause] = rng.integers(60_000, 600_000, int(pause.sum()))
    gap[lay.pos == 0] = 0
    elapsed = np.cumsum(gap + ms_played)  # end of each play, counted across sessions
    last_play = np.concatenate((lay.first[1:] - 1, [n - 1]))
    before = np.concatenate(([0], elapsed[last_play[:-1]]))
    needed = (elapsed[last_play] - before + _MIN_SESSION_GAP_MS
              + rng.integers(0, 5 * 60_000, sess.size))
    offset = np.concatenate(([0], np.cumsum(needed)[:-1]))
    total = int(offset[-1] + needed[-1])
    if total > cal.end_ms - cal.start_ms:
        return None
    # Start each session when it wants to, unless the one before still runs (then right after
    # it) or the rest would not fit before the end of the range (then early enough).
    latest = cal.end_ms - (total - offset)
    wanted = np.minimum(sess.wanted_ms, latest)
    start = offset + np.maximum.accumulate(wanted - offset)
    return start[lay.session] + elapsed - before[lay.session]


def _any_before_release(cat: _Catalog, track: np.ndarray, end_ms: np.ndarray) -> bool:
    """Whether any play ends (in Berlin time) in a year before its track came out."""
    utc_day = end_ms // _MS_PER_DAY
    local = (end_ms // 3_600_000 + _berlin_offset_hours(utc_day)) // 24
    years = local.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    return bool(np.any(cat.year[track] > years))


def _simulate(n_plays: int, seed: int, start: str, end: str,
              catalog: Sequence[dict]) -> dict[str, np.ndarray]:
    """The play history as columns: one array per key of PLAY_KEYS except ip_addr, sorted by
    ts. Columns that can hold None are object arrays; the rest convert to plain Python values
    with .tolist()."""
    if n_plays < 0:
        raise ValueError(f"n_plays must be 0 or more, got {n_plays}")
    if seed < 0:
        raise ValueError(f"seed must be 0 or more, got {seed}")
    first_day, last_day = _parse_day(start, "start"), _parse_day(end, "end")
    if last_day < first_day:
        raise ValueError(f"end ({end}) is before start ({start})")
    cat = _Catalog(catalog)
    if n_plays == 0:
        return {key: np.zeros(0, dtype=object) for key in PLAY_KEYS if key != "ip_addr"}
    rng = np.random.default_rng([seed, 0x5EED])

    cal = _make_calendar(rng, first_day, last_day)
    n_podcast = round(n_plays * _PODCAST_SHARE)
    n_audiobook = round(n_plays * _AUDIOBOOK_SHARE) if last_day >= _AUDIOBOOKS_FROM else 0
    sess = _plan_sessions(rng, cal, n_plays - n_podcast - n_audiobook, n_podcast, n_audiobook)
    lay = _lay_out(sess)
    base_weight, skip_factor = _track_preferences(rng, cat)
    track = _pick_tracks(rng, cat, cal, sess, lay, base_weight)
    spoken, spoken_ms = _spoken_word(rng, seed, cal, sess, lay)

    # Tracks were picked for the month a session wanted. Sessions only start later than that,
    # except in a history too dense for one listener, where the end of the range pushes them
    # earlier and a song could play before its release year. Such a listener skips more
    # instead, until every play comes after its release.
    span = cal.end_ms - cal.start_ms
    music = lay.kind == _MUSIC
    for occupancy in (0.85, 0.75, 0.65, 0.55):
        ends = _play_endings(rng, cat, sess, lay, track, spoken_ms, skip_factor,
                             occupancy * span)
        end_ms = _place(rng, cal, sess, lay, ends.ms_played)
        if end_ms is not None and not _any_before_release(cat, ends.track[music], end_ms[music]):
            break
    if end_ms is None:
        raise ValueError(
            f"{n_plays} plays do not fit between {start} and {end} with half-hour breaks "
            f"between sessions; widen the date range or ask for fewer plays")

    ts_seconds = end_ms // 1000
    ts_text = np.datetime_as_string(ts_seconds.astype("datetime64[s]"), unit="s")
    ts_year = ts_seconds.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
    s = lay.session
    offline = sess.offline[s]
    columns = {
        "ts": np.array([t + "Z" for t in ts_text.tolist()], dtype=object),
        "platform": sess.platform[s],
        "ms_played": ends.ms_played,
        "conn_country": np.array(["DE", "FR", "ES"], dtype=object)[cal.country[sess.day[s]]],
    }
    for key, values in (("master_metadata_track_name", cat.name),
                        ("master_metadata_album_artist_name", cat.artist),
                        ("master_metadata_album_album_name", cat.album),
                        ("spotify_track_uri", cat.uri)):
        columns[key] = np.where(music, values[ends.track], None)
    columns.update(spoken)
    columns.update({
        "reason_start": ends.reason_start,
        "reason_end": ends.reason_end,
        "shuffle": music & sess.shuffle[s],
        # Exports carry no skip flag before 2020.
        "skipped": np.where(ts_year < 2020, None, ends.skipped.astype(object)),
        "offline": offline,
        # Epoch ms of the start for offline plays; 0 or null otherwise, depending on the year.
        "offline_timestamp": np.where(offline, (end_ms - ends.ms_played).astype(object),
                                      np.where(ts_year < 2021, None, 0)),
        "incognito_mode": sess.incognito[s],
    })
    return {key: columns[key] for key in PLAY_KEYS if key != "ip_addr"}


def _rows(columns: dict[str, np.ndarray], index: np.ndarray | None = None) -> list[dict]:
    """Row dicts (keys in PLAY_KEYS order, plain Python values) for the given positions."""
    def values(key: str) -> list:
        col = columns[key]
        return (col if index is None else col[index]).tolist()

    return [
        {
            "ts": ts, "platform": platform, "ms_played": ms, "conn_country": country,
            "ip_addr": DOCUMENTATION_IP,
            "master_metadata_track_name": track_name,
            "master_metadata_album_artist_name": artist,
            "master_metadata_album_album_name": album,
            "spotify_track_uri": track_uri,
            "episode_name": ep_name, "episode_show_name": show, "spotify_episode_uri": ep_uri,
            "audiobook_title": book, "audiobook_uri": book_uri,
            "audiobook_chapter_uri": chapter_uri, "audiobook_chapter_title": chapter,
            "reason_start": r_start, "reason_end": r_end, "shuffle": shuffle,
            "skipped": skipped, "offline": offline, "offline_timestamp": offline_ts,
            "incognito_mode": incognito,
        }
        for (ts, platform, ms, country, track_name, artist, album, track_uri, ep_name, show,
             ep_uri, book, book_uri, chapter_uri, chapter, r_start, r_end, shuffle, skipped,
             offline, offline_ts, incognito)
        in zip(*(values(key) for key in PLAY_KEYS if key != "ip_addr"))
    ]


def generate_plays(n_plays: int, seed: int = 7, start: str = "2018-01-01",
                   end: str = "2025-12-31", catalog: list[dict] | None = None) -> list[dict]:
    """Simulate `n_plays` plays between `start` and `end` (local dates, inclusive).

    Rows have exactly the keys of `PLAY_KEYS`, in that order, and are sorted by `ts` (the UTC
    end time of the play, unique per row). About 4% are podcast episodes and 0.5% audiobook
    chapters (from late 2022 on); the rest are tracks from `catalog` (by default
    `generate_catalog(seed)`). Same arguments, same rows.

    A history denser than one person could listen to (beyond roughly 200,000 plays in eight
    years) comes out with far more skips, since that is the only way to fit it in the range.

    Raises ValueError for a negative count or seed, unreadable or reversed dates, or more
    plays than fit in the range.
    """
    if catalog is None:
        catalog = generate_catalog(seed)
    return _rows(_simulate(n_plays, seed, start, end, catalog))


def _year_span(first_ts: str, last_ts: str) -> str:
    """'2018-2020' as in Spotify's file names, or just '2024' when one year is covered."""
    y1, y2 = first_ts[:4], last_ts[:4]
    return y1 if y1 == y2 else f"{y1}-{y2}"


def _duplicate_layout(rng: np.random.Generator, columns: dict[str, np.ndarray], n: int,
                      rows_per_file: int, duplicate_share: float) -> list[np.ndarray]:
    """Row positions for each audio file: time-ordered chunks, where a few rows are repeated
    right after themselves (the web player logs some plays twice) and the last rows of each
    file open the next one as well (files overlap at the seams)."""
    bounds = list(range(0, n, rows_per_file)) + [n]
    chunks = [np.arange(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
    n_dup = round(n * duplicate_share)
    seams = len(chunks) - 1
    carried = [0] * len(chunks)
    n_cross = n_dup // 2 if seams else 0
    for s in range(seams):
        share = n_cross // seams + (1 if s < n_cross % seams else 0)
        carried[s] = min(share, len(chunks[s]))
    n_within = min(n_dup - sum(carried), n)
    web = np.flatnonzero([p.startswith("web_player") for p in columns["platform"].tolist()])
    if len(web) >= n_within:
        doubled = rng.choice(web, size=n_within, replace=False)
    else:
        others = np.setdiff1d(np.arange(n), web)
        doubled = np.concatenate((web, rng.choice(others, size=n_within - len(web),
                                                  replace=False)))
    copies = np.ones(n, dtype=np.int64)
    copies[doubled] += 1
    layout = []
    for i, chunk in enumerate(chunks):
        own = np.repeat(chunk, copies[chunk])
        if i and carried[i - 1]:
            own = np.concatenate((chunks[i - 1][-carried[i - 1]:], own))
        layout.append(own)
    return layout


def write_export(folder: pathlib.Path, n_plays: int, seed: int = 7, rows_per_file: int = 16000,
                 duplicate_share: float = 0.03) -> list[pathlib.Path]:
    """Write a synthetic export the way Spotify ships it and return the written paths.

    Creates `folder / "Spotify Extended Streaming History"` holding
    `Streaming_History_Audio_<years>_<i>.json` files of about `rows_per_file` rows each (in
    time order; `<years>` is "2018-2020", or "2024" when a file covers one year) and one
    `Streaming_History_Video_<years>.json` with a few dozen extra rows. On top of the
    `n_plays` plays, `round(n_plays * duplicate_share)` exact duplicate rows are added: half
    as a copy of the last rows of a file at the start of the next file, the rest right after
    the original (mostly web-player rows). Earlier `Streaming_History_*.json` files in that
    subfolder are removed so the folder always holds exactly one export.
    """
    if n_plays < 1:
        raise ValueError(f"an export needs at least one play, got n_plays={n_plays}")
    if rows_per_file < 1:
        raise ValueError(f"rows_per_file must be at least 1, got {rows_per_file}")
    if not 0.0 <= duplicate_share <= 1.0:
        raise ValueError(f"duplicate_share must be between 0 and 1, got {duplicate_share}")
    catalog = generate_catalog(seed)
    columns = _simulate(n_plays, seed, "2018-01-01", "2025-12-31", catalog)
    target = pathlib.Path(folder) / EXPORT_FOLDER
    target.mkdir(parents=True, exist_ok=True)
    for stale in target.glob("Streaming_History_*.json"):
        stale.unlink()

    layout = _duplicate_layout(np.random.default_rng([seed, 0xD0B1E]), columns, n_plays,
                               rows_per_file, duplicate_share)
    written = []
    for i, positions in enumerate(layout):
        rows = _rows(columns, positions)
        name = f"Streaming_History_Audio_{_year_span(rows[0]['ts'], rows[-1]['ts'])}_{i}.json"
        written.append(_write_json(target / name, rows))
        del rows  # keep one file's rows in memory at a time

    # Video rows (music videos) are a separate small history, not part of n_plays.
    video = _rows(_simulate(36, seed + 1, "2020-01-01", "2025-12-31", catalog))
    name = f"Streaming_History_Video_{_year_span(video[0]['ts'], video[-1]['ts'])}.json"
    written.append(_write_json(target / name, video))
    return written


def _write_json(path: pathlib.Path, rows: list[dict]) -> pathlib.Path:
    # Spotify pretty-prints its exports with a two-space indent; orjson does the same, fast.
    path.write_bytes(orjson.dumps(rows, option=orjson.OPT_INDENT_2))
    return path


DEMO_PLAYS = 60_000  # ~20 a day over 2018-2025: dense enough for every chart, quick to build


def catalog_rows(catalog: list[dict]) -> list[dict]:
    """Demo catalog dicts -> rows of the store's catalog_tracks table."""
    return [{"track_id": t["track_uri"].removeprefix("spotify:track:"),
             **{k: v for k, v in t.items() if k != "track_uri"}} for t in catalog]


def build_demo(db: Database, n_plays: int = DEMO_PLAYS, seed: int = 7) -> dict:
    """Build the demo profile through the real import path, plus its audio-feature catalog
    (with genres and name keys, recorded as catalog "demo") and the history's matches to it.

    Idempotent: building it again adds nothing. Returns the profile's play summary with
    ``profile``, ``plays_added`` and ``catalog_tracks``.
    """
    store.ensure_profile(db, DEMO_PROFILE, is_demo=True)
    with tempfile.TemporaryDirectory(prefix="encore-demo-") as folder:
        write_export(pathlib.Path(folder), n_plays, seed=seed)
        report = importer.import_files(db, paths=[folder], profile=DEMO_PROFILE, _demo=True)
    tracks = catalog_rows(generate_catalog(seed))
    with store.write_transaction(db):
        store.insert_catalog_tracks(db, tracks, source=store.SYNTHETIC_CATALOG)
        store.insert_catalog_genres(db, ((t["track_id"], t["genre"]) for t in tracks))
        catalogs.fill_name_keys(db)
        store.record_catalog(db, store.SYNTHETIC_CATALOG, len(tracks), len(tracks), "(generated)", "Encore demo catalog", "{}")
        store.bump_catalog_version(db)
    catalogs.match_history(db, DEMO_PROFILE)
    return {
        **store.play_summary(db, DEMO_PROFILE),
        "profile": DEMO_PROFILE,
        "plays_added": report.added,
        "catalog_tracks": store.count_rows(db, "catalog_tracks"),
    }
