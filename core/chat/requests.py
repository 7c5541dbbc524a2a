"""What a chat turn can ask for: the validated ``Turn`` (Gemini's structured output and the
offline interpreter's alike). Names in a turn are data: they only ever select real tracks.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

FEATURES: tuple[str, ...] = ("energy", "valence", "danceability", "acousticness", "instrumentalness",
                             "speechiness", "tempo")
Feature = Literal["energy", "valence", "danceability", "acousticness", "instrumentalness", "speechiness", "tempo"]
TEMPO_SCALE = 200.0  # BPM read as tempo / 200 on the 0..1 scale of the other features


MAX_LENGTH = 200


class Shift(BaseModel):
    """More or less of an audio quality."""

    feature: Feature
    direction: Literal["more", "less"]


class Era(BaseModel):
    """Release years, inclusive."""

    start: int = Field(ge=1900, le=2100)
    end: int = Field(ge=1900, le=2100)


class Turn(BaseModel):
    """One chat turn as validated edits. Names are data: they only ever select tracks."""

    action: Literal["new", "refine"] = Field(description="new: start a new playlist; refine: change the current one")
    reading: str = Field("", description="one short sentence: how the request was understood")
    shifts: list[Shift] = Field(default_factory=list, description="more/less of audio qualities")
    genres: list[str] = Field(default_factory=list, description="genres wanted (mixed in, not exclusive)")
    only_genres: list[str] = Field(default_factory=list, description="keep only these genres")
    exclude_genres: list[str] = Field(default_factory=list)
    like_artists: list[str] = Field(default_factory=list, description="artists to sound like (seeds)")
    like_tracks: list[str] = Field(default_factory=list, description="track titles to sound like (seeds)")
    add_count: int | None = Field(None, ge=1, le=100, description="add this many tracks like the seeds")
    exclude_artists: list[str] = Field(default_factory=list)
    exclude_tracks: list[str] = Field(default_factory=list)
    era: Era | None = Field(None, description="keep only tracks released in these years")
    exclude_era: Era | None = None
    add_era: Era | None = Field(None, description="mix in tracks from these years (with genres, e.g. 90s hip-hop)")
    no_remixes: bool = False
    no_live: bool = False
    count: int | None = Field(None, ge=1, le=MAX_LENGTH, description="number of tracks")
    minutes: float | None = Field(None, gt=0, le=1000, description="total length in minutes")
    familiarity: Literal["familiar", "discovery", "mix", "more_familiar", "more_discovery"] | None = None
    order: Literal["energy_up", "energy_down", "tempo_up", "tempo_down", "valence_up", "shuffle"] | None = Field(
        None, description="energy_up: build up; energy_down: wind down; valence_up: start sad, end happier "
        "(\"cheer me up slowly\")")
    resize: float | None = Field(None, ge=0.2, le=5, description="shorter (<1) or longer (>1) by this factor")
    name: str | None = Field(None, max_length=100)
    options: int | None = Field(None, ge=2, le=4, description="offer this many different directions to pick from")
    # the listener's own music
    mine: Literal["loved", "top", "used_to", "not_lately", "never_heard"] | None = Field(
        None, description="loved: songs the listener loves (most streamed, recently and often); top: their most "
        "streamed (with played_in: in those years); used_to: songs they once played a lot and have not lately; "
        "not_lately: songs they have not played for a long time; never_heard: only songs they never streamed")
    played_in: Era | None = Field(None, description="years the listener PLAYED the songs in (not release years)")
    no_overplayed: bool = Field(False, description="leave out the songs the listener has played the most")
    less_mainstream: bool = Field(False, description="prefer less popular songs")
    like_positions: list[int] = Field(default_factory=list, description="more like the playlist's tracks at these "
                                      "positions (1 = the first, -1 = the last)")

