"""Year in review: one calendar year of plays -> a Wrapped-style recap, as data, HTML and PNG.

Rules (on top of those in ``core.explore``):
- The recap takes the **whole-history** frame (localised, content filtered, ``is_stream``
  marked, no date range), so "first heard" can look before the year. A play belongs to the
  local year, month and day when it **started**.
- Listening time (total, per artist, per month, busiest day) sums ``ms_played`` of *all*
  plays, skips included, and is rounded down to whole minutes. Rankings count streams
  (``is_stream``); ties go to more listening time, then to the name (A before B).
- Top lists cover plays with a name: a top artist needs ``artist_name``, a top track
  ``track_name`` (grouped by ``track_key``: the Spotify id, or "artist — title" without
  one), a top album ``album_name`` and is (album, artist) so two "Greatest Hits" stay apart.
  Plays without names (podcasts, empty export rows) still count in minutes and streams.
- An artist is **new** in the year of their first stream in the whole history (a skip
  below the stream threshold is not "hearing" them; with the "all plays" rule it is).
- The **longest streak** is the longest run of consecutive local days with at least one
  stream, counted inside the year only: a run from 29 December to 3 January counts as
  three days (1-3 January) for the later year and three (29-31 December) for the earlier.
  The earliest run wins a tie.

The recap adds up over content types (``recap_part`` of one content's plays, ``year_recap_of``
of several; ``x_part`` and ``x_of`` as in ``core.explore.overview``).
"""
from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass, field

import altair as alt
import numpy as np
import pandas as pd

from core.base import MS_PER_MINUTE
from core.explore.charts import ACCENT, unchecked
from core.explore.filters import select_dates
from core.explore.periods import calendar_years, day_sums, days_at, local_days, local_wall
from core.explore.tops import item_part, ranked_of
from core.history.frame import run_starts

TOP_N = 5
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class TopArtist:
    name: str
    streams: int
    minutes: int  # all plays of the artist that year, skips included


@dataclass(frozen=True)
class TopTrack:
    title: str
    artist: str
    streams: int
    # the song's song_key, for a link to the Artist & track page (not part of what the recap says)
    key: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class TopAlbum:
    album: str
    artist: str
    streams: int


@dataclass(frozen=True)
class NewArtist:
    name: str
    streams: int


@dataclass(frozen=True)
class TopMonth:
    month: int  # 1 = January
    name: str
    minutes: int


@dataclass(frozen=True)
class Streak:
    days: int
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class BusiestDay:
    date: dt.date
    minutes: int


@dataclass(frozen=True)
class Recap:
    """Everything the year-in-review card shows. Empty lists and None for a year without plays."""

    year: int
    time_zone: str
    plays: int
    minutes: int
    streams: int
    top_artists: tuple[TopArtist, ...]
    top_tracks: tuple[TopTrack, ...]
    top_albums: tuple[TopAlbum, ...]
    monthly_minutes: tuple[int, ...]  # 12 values, January first
    top_month: TopMonth | None
    new_artists: int
    top_new_artists: tuple[NewArtist, ...]
    streak: Streak | None
    busiest_day: BusiestDay | None

    @property
    def is_empty(self) -> bool:
        return self.plays == 0


# --- computing -----------------------------------------------------------------------

def years_available(frame_all: pd.DataFrame) -> list[int]:
    """The local years (of the start time) that have at least one play, oldest first."""
    if frame_all.empty:
        return []
    days = local_days(frame_all)
    years = calendar_years(days_at(np.unique(days[run_starts(days)])))  # each day with plays once
    return sorted({int(y) for y in years})


def years_available_of(parts: list[list[int]]) -> list[int]:
    """``years_available`` of several contents' plays from each content's."""
    return sorted(set().union(*parts))


def _minutes(ms: int | np.integer) -> int:
    return int(ms) // MS_PER_MINUTE


def _top_artists(ranked: pd.DataFrame) -> tuple[TopArtist, ...]:
    return tuple(TopArtist(r.name, int(r.streams), _minutes(r.ms)) for r in ranked.head(TOP_N).itertuples())


def _top_tracks(parts: list[pd.DataFrame]) -> tuple[TopTrack, ...]:
    top = ranked_of(parts, "track").head(TOP_N)  # songs, named by the spelling streamed most
    return tuple(TopTrack(r.title, r.artist, int(r.streams), str(r.key)) for r in top.itertuples())


def _top_albums(parts: list[pd.DataFrame]) -> tuple[TopAlbum, ...]:
    top = ranked_of(parts, "album").head(TOP_N)
    return tuple(TopAlbum(r.name, r.artist, int(r.streams)) for r in top.itertuples())


def _streamed_artists(plays: pd.DataFrame) -> np.ndarray:
    """The artists with a stream among ``plays`` (their names, object)."""
    artists = plays["artist_name"]
    if not isinstance(artists.dtype, pd.CategoricalDtype):
        artists = artists.astype("category")
    # which artists have a stream, on the categorical's codes (no hashing a million names)
    codes = artists.cat.codes.to_numpy()
    streamed = plays["is_stream"].to_numpy() & (codes >= 0)
    size = len(artists.cat.categories)
    return artists.cat.categories.to_numpy(dtype=object)[np.bincount(codes[streamed], minlength=size) > 0]


def _new_artists(parts: list[RecapPart], ranked: pd.DataFrame) -> tuple[int, tuple[NewArtist, ...]]:
    """How many artists had their first stream in the year (a stream in it, none earlier), and
    the top ones: ``ranked``, the year's artists ranked, keeps its order on any part of them."""
    earlier = set().union(*(part.streamed_earlier for part in parts))
    new = set().union(*(part.streamed_in_year for part in parts)) - earlier
    if not new:
        return 0, ()
    top = ranked[ranked["key"].isin(new)].head(TOP_N)
    return len(new), tuple(NewArtist(r.name, int(r.streams)) for r in top.itertuples())


def longest_streak(days: np.ndarray) -> Streak | None:
    """The longest run of consecutive days in ``days`` (datetime64[D], any order, repeats allowed).

    The earliest run wins a tie; None when there are no days.
    """
    unique = np.unique(days.astype("datetime64[D]"))
    if unique.size == 0:
        return None
    # a new run starts wherever the gap to the previous day is not exactly one day
    starts = np.flatnonzero(np.diff(unique.astype("int64"), prepend=np.int64(-2**62)) != 1)
    ends = np.append(starts[1:], unique.size) - 1
    lengths = ends - starts + 1
    best = int(np.argmax(lengths))  # argmax returns the first maximum: the earliest run
    return Streak(int(lengths[best]), unique[starts[best]].item(), unique[ends[best]].item())


@dataclass(frozen=True, eq=False)
class RecapPart:
    """What ``year_recap`` adds up over content types, of one content's plays (``recap_part``);
    read-only."""

    year: int
    time_zone: str
    plays: int
    streams: int
    month_ms: np.ndarray  # int64 (12,): January first
    days: np.ndarray  # int64: the local days with a play (days since 1970-01-01), ascending
    day_ms: np.ndarray  # int64: listening time on each of ``days``
    stream_days: np.ndarray  # datetime64[D]: the local day of each stream
    items: dict[str, pd.DataFrame]  # ``item_part`` of the year's plays per artist, track and album
    streamed_in_year: np.ndarray  # names of the artists with a stream in the year (object)
    streamed_earlier: np.ndarray  # ... and with a stream in an earlier year


def year_recap(frame_all: pd.DataFrame, year: int) -> Recap:
    """The recap of one local calendar year, computed from the whole-history frame.

    ``frame_all`` is ``explore.apply_filters`` output without a date range (or the same
    built with ``explore.localise``): it needs ``local``, ``ms_played``, ``is_stream``,
    ``artist_name``, ``track_name``, ``album_name`` and ``track_key``. See the module
    docstring for what counts where.
    """
    return year_recap_of([recap_part(frame_all, year)])


def recap_part(frame_all: pd.DataFrame, year: int) -> RecapPart:
    """What ``year_recap`` adds up, of one content's whole-history frame (as ``year_recap``
    takes): a recap of several contents is ``year_recap_of`` their parts."""
    tz = str(frame_all["local"].dt.tz)
    # the year's plays and those before it: slices of the plays in time order (select_dates)
    plays = select_dates(frame_all, dt.date(year, 1, 1), dt.date(year, 12, 31))
    earlier = select_dates(frame_all, None, dt.date(year - 1, 12, 31)) if year > 1 else frame_all.iloc[:0]
    wall = local_wall(plays)  # local wall-clock time: what day and month mean here
    month_ms = np.bincount(wall.astype("datetime64[M]").astype("int64") % 12, weights=plays["ms_played"].to_numpy(),
                           minlength=12).astype("int64")
    per_day = day_sums(plays)  # the days with a play, and the time on each
    stream_days = local_days(plays)[plays["is_stream"].to_numpy()].astype(np.int64).astype("datetime64[D]")
    return RecapPart(
        year=year, time_zone=tz, plays=len(plays), streams=int(plays["is_stream"].sum()), month_ms=month_ms,
        days=per_day["period_start"].to_numpy().astype("datetime64[D]").view("int64"),
        day_ms=per_day["ms"].to_numpy(), stream_days=stream_days,
        items={by: item_part(plays, by) for by in ("artist", "track", "album")},
        streamed_in_year=_streamed_artists(plays), streamed_earlier=_streamed_artists(earlier))


def year_recap_of(parts: list[RecapPart]) -> Recap:
    """``year_recap`` of several contents' plays from their ``recap_part`` (of one year and zone)."""
    year, tz = parts[0].year, parts[0].time_zone
    plays = sum(part.plays for part in parts)
    if plays == 0:
        return Recap(year, tz, 0, 0, 0, (), (), (), (0,) * 12, None, 0, (), None, None)
    month_ms = np.sum([part.month_ms for part in parts], axis=0, dtype="int64")
    top_month_number = int(np.argmax(month_ms)) + 1  # first maximum: the earliest month on a tie

    day_numbers = np.concatenate([part.days for part in parts])
    first_day = int(day_numbers.min())
    day_ms = np.bincount(day_numbers - first_day,
                         weights=np.concatenate([part.day_ms for part in parts])).astype("int64")
    busiest = int(np.argmax(day_ms))  # first maximum: the earliest day on a tie

    artists = ranked_of([part.items["artist"] for part in parts], "artist")  # the one ranking rule (core.explore.tops)
    new_count, top_new = _new_artists(parts, artists)
    return Recap(
        year=year,
        time_zone=tz,
        plays=plays,
        minutes=_minutes(day_ms.sum()),
        streams=sum(part.streams for part in parts),
        top_artists=_top_artists(artists),
        top_tracks=_top_tracks([part.items["track"] for part in parts]),
        top_albums=_top_albums([part.items["album"] for part in parts]),
        monthly_minutes=tuple(_minutes(v) for v in month_ms),
        top_month=TopMonth(top_month_number, MONTHS[top_month_number - 1], _minutes(month_ms[top_month_number - 1])),
        new_artists=new_count,
        top_new_artists=top_new,
        streak=longest_streak(np.concatenate([part.stream_days for part in parts])),
        busiest_day=BusiestDay((np.datetime64(first_day + busiest, "D")).item(), _minutes(day_ms[busiest])),
    )


def recap_tables(recap: Recap) -> dict[str, pd.DataFrame]:
    """The recap's lists as small tables (what the page charts): artists, tracks, albums, new, months."""
    return {
        "artists": pd.DataFrame({"artist": [a.name for a in recap.top_artists],
                                 "streams": [a.streams for a in recap.top_artists],
                                 "minutes": [a.minutes for a in recap.top_artists]}),
        "tracks": pd.DataFrame({"track": _unique_labels([f"{t.title} — {t.artist}" if t.artist else t.title
                                                         for t in recap.top_tracks]),
                                "title": [t.title for t in recap.top_tracks],
                                "artist": [t.artist for t in recap.top_tracks],
                                "streams": [t.streams for t in recap.top_tracks],
                                "key": [t.key for t in recap.top_tracks]}),
        "albums": pd.DataFrame({"album": _unique_labels([f"{a.album} — {a.artist}" for a in recap.top_albums]),
                                "artist": [a.artist for a in recap.top_albums],
                                "streams": [a.streams for a in recap.top_albums]}),
        "new_artists": pd.DataFrame({"artist": [a.name for a in recap.top_new_artists],
                                     "streams": [a.streams for a in recap.top_new_artists]}),
        "months": pd.DataFrame({"month": list(MONTHS), "minutes": list(recap.monthly_minutes)}),
    }


def _unique_labels(labels: list[str]) -> list[str]:
    # two ids can share title and artist (single and album versions): keep their bars apart
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


# --- presenting ----------------------------------------------------------------------

def day_label(day: dt.date) -> str:
    """'Saturday 12 October' (English whatever the locale)."""
    return f"{WEEKDAY_NAMES[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"


def short_day(day: dt.date) -> str:
    """'12 Oct'."""
    return f"{day.day} {MONTHS[day.month - 1][:3]}"


def streak_length(streak: Streak | None) -> str:
    """'17 days', '1 day' or '—'."""
    if streak is None:
        return "—"
    return f"{streak.days} {'day' if streak.days == 1 else 'days'}"


def streak_span(streak: Streak | None) -> str:
    """'3 Mar – 19 Mar', '3 Mar' for one day, or '' without a streak."""
    if streak is None:
        return ""
    return short_day(streak.start) if streak.days == 1 else f"{short_day(streak.start)} – {short_day(streak.end)}"


def streak_label(streak: Streak | None) -> str:
    """'17 days (3 Mar – 19 Mar)', '1 day (3 Mar)' or '—'."""
    return "—" if streak is None else f"{streak_length(streak)} ({streak_span(streak)})"


def _card_facts(recap: Recap) -> list[tuple[str, str, str]]:
    """(label, big value, detail) for the four small facts."""
    month = recap.top_month
    day = recap.busiest_day
    streak = recap.streak
    return [
        ("Top month", month.name if month else "—", f"{month.minutes:,} minutes" if month else ""),
        ("New artists", f"{recap.new_artists:,}",
         f"top new: {recap.top_new_artists[0].name}" if recap.top_new_artists else "first heard this year"),
        ("Longest streak", streak_length(streak), streak_span(streak) or "no streams"),
        ("Busiest day", short_day(day.date) if day else "—",
         f"{WEEKDAY_NAMES[day.date.weekday()]}, {day.minutes:,} minutes" if day else ""),
    ]


_CSS = """
*{box-sizing:border-box;margin:0;padding:0}
body{background:#0b0b0b;color:#fff;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
display:flex;justify-content:center;padding:32px 12px}
.card{width:100%;max-width:560px;background:linear-gradient(160deg,#1e3d2a 0%,#121212 38%,#121212 100%);
border-radius:24px;padding:32px 28px;box-shadow:0 12px 40px rgba(0,0,0,.5)}
.brand{color:#1DB954;font-weight:700;letter-spacing:.08em;text-transform:uppercase;font-size:13px}
h1{font-size:30px;line-height:1.15;margin:6px 0 22px}
.hero{display:flex;gap:28px;align-items:flex-end;margin-bottom:26px;flex-wrap:wrap}
.big{font-size:56px;font-weight:800;color:#1DB954;line-height:1}
.label{color:#b3b3b3;font-size:13px;margin-top:4px}
.mid{font-size:30px;font-weight:700;line-height:1}
h2{font-size:13px;color:#1DB954;text-transform:uppercase;letter-spacing:.08em;margin:22px 0 8px}
ol{list-style:none;counter-reset:rank}
li{counter-increment:rank;display:flex;align-items:baseline;gap:10px;padding:5px 0;border-bottom:1px solid #2a2a2a}
li::before{content:counter(rank);color:#1DB954;font-weight:700;width:16px;flex:none}
.name{flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.by{color:#b3b3b3}
.num{color:#b3b3b3;font-size:13px;white-space:nowrap}
.facts{display:grid;grid-template-columns:1fr 1fr;gap:10px;margin-top:24px}
.fact{background:#1f1f1f;border-radius:14px;padding:14px}
.fact .value{font-size:22px;font-weight:700;margin:4px 0 2px}
.empty{color:#b3b3b3;margin:16px 0}
footer{color:#6a6a6a;font-size:12px;margin-top:24px}
"""


def _html_list(items: list[tuple[str, str, str]], empty: str) -> str:
    if not items:
        return f'<p class="empty">{html.escape(empty)}</p>'
    rows = []
    for name, by, number in items:
        by_html = f' <span class="by">· {html.escape(by)}</span>' if by else ""
        rows.append(f'<li><span class="name">{html.escape(name)}{by_html}</span>'
                    f'<span class="num">{html.escape(number)}</span></li>')
    return "<ol>" + "".join(rows) + "</ol>"


def _streams(n: int) -> str:
    return f"{n:,} stream" + ("" if n == 1 else "s")


def recap_html(recap: Recap) -> str:
    """A self-contained HTML page of the recap (inline CSS; no fonts, scripts or images to fetch).

    Every name is escaped: track and artist names are data, not markup.
    """
    e = html.escape
    title = f"My {recap.year} in music · Encore"
    if recap.is_empty:
        body = f'<p class="empty">No plays in {recap.year} for this selection.</p>'
    else:
        no_streams = "No streams this year with the chosen stream rule."
        facts = "".join(
            f'<div class="fact"><div class="label">{e(label)}</div><div class="value">{e(value)}</div>'
            f'<div class="label">{e(detail)}</div></div>' for label, value, detail in _card_facts(recap))
        new_names = ", ".join(a.name for a in recap.top_new_artists)
        body = (
            '<div class="hero">'
            f'<div><div class="big">{recap.minutes:,}</div><div class="label">minutes listened</div></div>'
            f'<div><div class="mid">{recap.streams:,}</div><div class="label">streams</div></div>'
            '</div>'
            '<h2>Top artists</h2>'
            + _html_list([(a.name, "", f"{_streams(a.streams)} · {a.minutes:,} min") for a in recap.top_artists],
                         no_streams)
            + '<h2>Top tracks</h2>'
            + _html_list([(t.title, t.artist, _streams(t.streams)) for t in recap.top_tracks], no_streams)
            + '<h2>Top albums</h2>'
            + _html_list([(a.album, a.artist, _streams(a.streams)) for a in recap.top_albums], no_streams)
            + f'<div class="facts">{facts}</div>'
            + (f'<p class="label" style="margin-top:14px">New this year: {e(new_names)}</p>' if new_names else "")
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>"
        f'<main class="card"><div class="brand">Encore · Year in review</div><h1>My {recap.year} in music</h1>'
        f"{body}"
        f"<footer>Computed on my own machine from my Spotify export with Encore. Days and months in "
        f"{e(recap.time_zone)}.</footer></main></body></html>\n"
    )


# --- the PNG card ----------------------------------------------------------------------

CARD_WIDTH = 540
_FONT = "Liberation Sans, DejaVu Sans, Arial, Helvetica, sans-serif"
_GREY = "#b3b3b3"
_TILE = "#1f1f1f"
_PAD = 32
# one Vega-Lite text layer per style, since alignment, weight and width limit are mark
# properties, not encodings
_STYLES = {
    "left": {"align": "left", "fontWeight": "normal", "limit": CARD_WIDTH - 2 * _PAD},
    "bold": {"align": "left", "fontWeight": "bold", "limit": CARD_WIDTH - 2 * _PAD},
    "name": {"align": "left", "fontWeight": "bold", "limit": 300},
    "right": {"align": "right", "fontWeight": "normal", "limit": 200},
    "tile": {"align": "left", "fontWeight": "bold", "limit": (CARD_WIDTH - 2 * _PAD - 12) / 2 - 28},
    "tile_note": {"align": "left", "fontWeight": "normal", "limit": (CARD_WIDTH - 2 * _PAD - 12) / 2 - 28},
}


def _card_layout(recap: Recap) -> tuple[list[dict], list[dict], int]:
    """Text items and rectangles (pixel positions) of the card, and its height."""
    texts: list[dict] = []
    rects: list[dict] = []

    def text(x: float, y: float, value: str, size: int, color: str = "#ffffff", style: str = "left") -> None:
        texts.append({"x": x, "y": y, "text": value, "size": size, "color": color, "style": style})

    right = CARD_WIDTH - _PAD
    y = 44
    text(_PAD, y, "ENCORE · YEAR IN REVIEW", 13, ACCENT, "bold")
    y += 40
    text(_PAD, y, f"My {recap.year} in music", 30, style="bold")
    if recap.is_empty:
        y += 60
        text(_PAD, y, f"No plays in {recap.year} for this selection.", 16, _GREY)
        y += 60
    else:
        y += 74
        text(_PAD, y, f"{recap.minutes:,}", 56, ACCENT, "bold")
        text(right, y, f"{recap.streams:,}", 30, style="right")
        y += 24
        text(_PAD, y, "minutes listened", 14, _GREY)
        text(right, y, "streams", 14, _GREY, "right")
        lists = [
            ("TOP ARTISTS", [(a.name, "", a.streams) for a in recap.top_artists]),
            ("TOP TRACKS", [(t.title, t.artist, t.streams) for t in recap.top_tracks]),
            ("TOP ALBUMS", [(a.album, a.artist, a.streams) for a in recap.top_albums]),
        ]
        for heading, items in lists:
            y += 42
            text(_PAD, y, heading, 13, ACCENT, "bold")
            if not items:
                y += 28
                text(_PAD, y, "No streams with the chosen stream rule.", 14, _GREY)
                continue
            most = max(streams for _, _, streams in items)
            for rank, (name, by, streams) in enumerate(items, start=1):
                y += 44 if by else 32
                # a thin bar under each row, as long as its share of the list's best
                rects.append({"x": _PAD + 30, "x2": right, "y": y + 8, "y2": y + 11, "color": "#2a2a2a",
                              "radius": 1.5})
                rects.append({"x": _PAD + 30, "x2": _PAD + 30 + (right - _PAD - 30) * streams / most,
                              "y": y + 8, "y2": y + 11, "color": ACCENT, "radius": 1.5})
                text(_PAD, y - (14 if by else 0), str(rank), 15, ACCENT, "bold")
                text(_PAD + 30, y - (14 if by else 0), name, 15, style="name")
                if by:
                    text(_PAD + 30, y + 1, by, 12, _GREY, "left")
                text(right, y - (14 if by else 0), _streams(streams), 12, _GREY, "right")
        y += 40
        tile_w = (CARD_WIDTH - 2 * _PAD - 12) / 2
        for index, (label, value, detail) in enumerate(_card_facts(recap)):
            column, row = index % 2, index // 2
            x0 = _PAD + column * (tile_w + 12)
            y0 = y + row * (86 + 12)
            rects.append({"x": x0, "x2": x0 + tile_w, "y": y0, "y2": y0 + 86, "color": _TILE, "radius": 12})
            text(x0 + 14, y0 + 24, label, 12, _GREY, "left")
            text(x0 + 14, y0 + 52, value, 22, style="tile")
            text(x0 + 14, y0 + 72, detail, 12, _GREY, "tile_note")
        y += 2 * 86 + 12 + 34
    text(_PAD, y, f"Made with Encore from my Spotify export · days in {recap.time_zone}", 11, "#6a6a6a")
    return texts, rects, int(y + 26)


@unchecked
def recap_chart(recap: Recap) -> alt.LayerChart:
    """The recap card as an Altair chart of text and rectangle marks placed in pixels."""
    texts, rects, height = _card_layout(recap)
    pixels = {"scale": None, "axis": None}
    layers = []
    shapes = pd.DataFrame(rects, columns=["x", "x2", "y", "y2", "color", "radius"])
    for radius, part in shapes.groupby("radius", sort=True):  # corner radius is a mark property too
        layers.append(alt.Chart(part.drop(columns="radius")).mark_rect(cornerRadius=float(radius)).encode(
            x=alt.X("x:Q", **pixels), x2="x2:Q", y=alt.Y("y:Q", **pixels), y2="y2:Q",
            color=alt.Color("color:N", scale=None)))
    frame = pd.DataFrame(texts)
    for style, props in _STYLES.items():
        part = frame[frame["style"] == style].drop(columns="style")
        if part.empty:
            continue
        layers.append(alt.Chart(part).mark_text(baseline="alphabetic", font=_FONT, **props).encode(
            x=alt.X("x:Q", **pixels), y=alt.Y("y:Q", **pixels), text="text:N",
            size=alt.Size("size:Q", scale=None, legend=None), color=alt.Color("color:N", scale=None)))
    return (alt.layer(*layers)
            .properties(width=CARD_WIDTH, height=height, background="#121212", padding=0)
            .configure_view(stroke=None))


def recap_png(recap: Recap, scale: float = 2) -> bytes:
    """The recap card as PNG bytes (rendered locally by vl-convert; nothing is fetched)."""
    import vl_convert  # imported here: only the download needs the renderer

    spec = recap_chart(recap).to_dict()
    return vl_convert.vegalite_to_png(json.dumps(spec), scale=scale, allowed_base_urls=[])
