"""The small family of errors a person can cause.

Every message names the file (and row where there is one) and says what to do. The edge
(a page or the CLI) shows ``str(error)``; any other exception is a bug and should surface.
"""
from __future__ import annotations


class EncoreError(Exception):
    """Base class for problems caused by input, not by Encore itself."""


class ImportFileError(EncoreError):
    """One input file cannot be imported; other files of the same import still can."""

    def __init__(self, file: str, problem: str, fix: str, row: int | None = None) -> None:
        self.file = file
        self.problem = problem
        self.fix = fix
        self.row = row
        where = f"{file}, row {row:,}" if row is not None else file
        super().__init__(f"{where}: {problem} {fix}")


class NothingImportedError(EncoreError):
    """No file in the input could be imported at all."""


class CatalogEditError(EncoreError):
    """A person's edit of a catalog track has a value that cannot be stored."""

    def __init__(self, field: str, problem: str, fix: str) -> None:
        self.field = field
        super().__init__(f"{field}: {problem} {fix}")


class ProfileError(EncoreError):
    """A profile name that cannot be used, or a profile that cannot take this change."""


class SongEditError(EncoreError):
    """A song merge or split that cannot be made (the song or recording is not there)."""


class ImportUndoError(EncoreError):
    """An import that cannot be undone (there is none with that id, or it was undone already)."""


class PathNotAllowedError(EncoreError):
    """A path typed into the app that it may not read (outside the allowed folders, or the
    app is reachable from other computers)."""


class ChatNotFoundError(EncoreError):
    """A chat playlist that is not (or no longer) in the store."""
