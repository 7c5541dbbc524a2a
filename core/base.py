"""The small vocabulary every part of core shares: progress callbacks, time units, file names.

Nothing here knows about plays, songs or the store; everything may import it.
"""
from __future__ import annotations

import hashlib
import os
import re
import signal
from collections.abc import Callable

MS_PER_MINUTE = 60_000
MS_PER_HOUR = 3_600_000

Progress = Callable[[float, str], None]
"""``progress(fraction, message)``: long work reports how far it is (0..1) and what it does."""


def no_progress(fraction: float, message: str) -> None:
    """The progress callback of a caller that does not show progress."""


def kill_point(name: str) -> None:
    """A named moment in a long write where the tests kill the process (``ENCORE_TEST_KILL_AT``
    set to the name sends this process SIGKILL), to prove a kill there loses nothing.
    Unset, it is one environment lookup."""
    if os.environ.get("ENCORE_TEST_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def file_stem(name: str, unique: bool = True, readable: int = 40) -> str:
    """A file-name stem for any text (a profile, a playlist name); nothing a person types
    can reach another folder.

    Readable letters, digits, ``-`` and ``_`` (at most ``readable`` of them), then, when
    ``unique``, a hash of the whole text: "anna.k" and "anna_k" give different stems, so two
    people's files never share a name. Downloads use ``unique=False`` (a name to read).
    """
    readable_part = _UNSAFE.sub("_", name).strip("_")[:readable] or ("x" if unique else "encore")
    if not unique:
        return readable_part
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{readable_part}-{digest}"

