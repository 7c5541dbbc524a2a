"""Acceptance: yearly totals of the real exports agree with an independent computation.

Skips without ENCORE_REAL_DATA. The independent side uses only json, zoneinfo and sets:
distinct plays as in test_real_exports (every field but the IP, user agent and platform),
placed at their local start time (end - ms_played) in the export's main time zone, summed
per local year.
"""
import datetime as dt
import json
import zipfile
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core import explore, history, store
from core.ingest.importer import import_files
from tests.conftest import real_data_dir
from tests.test_real_exports import NOT_THE_PLAY

EXPORTS = {  # export -> the zone its most common conn_country maps to
    "extended-2024-a": "Europe/Tallinn",
    "extended-2026-b.zip": "Europe/Warsaw",
    "extended-endsong-c.zip": "America/New_York",
}


def _records(path: Path):
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if "Audio" in info.filename or "endsong" in info.filename:
                    yield from json.loads(zf.read(info))
    else:
        for file in sorted(path.rglob("Streaming_History_Audio_*.json")):
            yield from json.loads(file.read_text(encoding="utf-8"))


def independent_yearly(path: Path, zone: str, min_ms: int = 30_000) -> dict[int, tuple[int, float]]:
    """{local year: (streams, hours)} for music plays, computed without Encore."""
    tz = ZoneInfo(zone)
    seen = {}
    for r in _records(path):
        if r.get("episode_name") or r.get("spotify_episode_uri") or r.get("audiobook_title"):
            continue
        key = tuple(sorted((k, json.dumps(v)) for k, v in r.items() if k not in NOT_THE_PLAY))
        seen[key] = (r["ts"], r["ms_played"])
    streams, ms_total = defaultdict(int), defaultdict(int)
    for ts, ms in seen.values():
        end = dt.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
        start_ms = int(end.timestamp() * 1000) - ms
        year = dt.datetime.fromtimestamp(start_ms // 1000, tz).year
        streams[year] += ms >= min_ms
        ms_total[year] += ms
    return {y: (streams[y], round(ms_total[y] / 3_600_000, 1)) for y in sorted(ms_total)}


@pytest.mark.parametrize("export", sorted(EXPORTS))
def test_yearly_totals_match_an_independent_computation(export, tmp_path):
    path = real_data_dir() / "exports" / export
    db = store.open_store(tmp_path / "x.db")
    import_files(db, paths=[path])
    plays = history.load_plays(db, "me")
    zone = explore.guess_timezone(plays["conn_country"].astype(object))
    assert zone == EXPORTS[export]
    frame = explore.apply_filters(plays, explore.Filters(tz=zone))
    yearly = explore.listening_time(frame, "year")
    got = {int(row.period_start.year): (int(row.streams), round(float(row.hours), 1))
           for row in yearly.itertuples() if row.streams or row.hours}
    assert got == independent_yearly(path, zone)


@pytest.mark.parametrize("export", sorted(EXPORTS))
def test_aggregates_kept_per_content_type_add_up_on_a_real_history(export, tmp_path):
    # real music videos carry their artists, and real podcasts share days with music
    from tests.test_stats import _added_up

    db = store.open_store(tmp_path / "x.db")
    import_files(db, paths=[real_data_dir() / "exports" / export])
    plays = history.load_plays(db, "me")
    first, last = plays["start"].min().date(), plays["start"].max().date()
    middle = first + (last - first) / 2
    for content in (("music", "video"), ("music", "podcast", "video")):
        _added_up(plays, explore.Filters(content=content, tz=EXPORTS[export]))
        _added_up(plays, explore.Filters(content=content, tz="Asia/Kolkata", start=middle, end=last, min_ms=0),
                  previous=explore.Filters(content=content, tz="Asia/Kolkata", end=middle - dt.timedelta(days=1),
                                           start=middle - (last - middle) - dt.timedelta(days=1), min_ms=0))
