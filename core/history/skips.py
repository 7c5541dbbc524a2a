"""Skips: a play the person cut short — one rule, for every year of every export.

What Spotify's own ``skipped`` flag means, read off the years where it is filled in (2023
and later, three real exports, every row): a play is flagged exactly when it ended with the
forward button (``fwdbtn``), the back button (``backbtn``) or by stopping playback
(``endplay``). Older exports leave the flag false or empty on every row while
``reason_end`` still says ``fwdbtn`` on a third of them. So each play is judged by the
best signal it has:

1. **reason** — the export says why it ended: a skip when that is ``fwdbtn``, ``backbtn``
   or ``endplay``, or when the flag says so anyway.
2. **flag** — no reason, but Spotify filled in ``skipped``: the flag.
3. **length** — neither (account exports): a skip when the play lasted under 30 s (the
   stream rule) — unless a catalog knows the recording is that short and the play
   reached 95 % of it (an interlude played to the end is not a skip).

``skip_basis`` says which one decided; Habits shows it per year. The taste model reads the
same rule: a skipped play of under 30 s counts against the song.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

SKIP_REASONS = frozenset({"fwdbtn", "backbtn", "endplay"})
BASES = ("reason", "flag", "length")
FULL_SHARE = 0.95  # a play this close to the song's longest play was played to the end


def judge(ms_played: np.ndarray, reason_end: pd.Series | np.ndarray, skipped: pd.api.extensions.ExtensionArray,
          duration_ms: np.ndarray, stream_ms: int) -> tuple[np.ndarray, np.ndarray]:
    """Per play: (skip, basis code into ``BASES``).

    ``reason_end`` (None where unknown), ``skipped`` (nullable boolean: NA where the export
    does not say), ``duration_ms``: the recording's length where a catalog knows it (NaN
    elsewhere); ``stream_ms``: the stream rule (``core.history.frame.DEFAULT_MIN_MS``).
    """
    ms = np.asarray(ms_played, dtype="float64")
    reasons = pd.Series(np.asarray(reason_end, dtype=object))
    has_reason = reasons.notna().to_numpy()
    by_reason = reasons.isin(SKIP_REASONS).to_numpy()
    flags = pd.array(skipped, dtype="boolean")
    has_flag = ~flags.isna()
    flag = flags.fillna(False).to_numpy(dtype=bool)
    duration = np.asarray(duration_ms, dtype="float64")
    short = (ms < stream_ms) & ~(ms >= FULL_SHARE * duration)  # NaN (unknown length) compares False
    skip = np.where(has_reason, by_reason | flag, np.where(has_flag, flag, short))
    basis = np.where(has_reason, 0, np.where(has_flag, 1, 2)).astype("int8")
    return skip, basis
