"""Files written during a transaction and removed again if it fails (StoredFiles): no photo without
its row, whichever app stores it."""
from contextvars import ContextVar

_stored_files_active: ContextVar["StoredFiles | None"] = ContextVar("stored_files_active", default=None)


class StoredFiles:
    """Files written during a transaction, removed again if it fails: no photo without its case.

    The order is files first, rows after, commit last: a committed Attachment row always has its
    file, and a case whose photos could not be stored is not created. Should the process die
    between a file's write and the commit, the file stays on disk unreferenced (no row names it),
    which wastes space but never shows a case a missing or foreign photo.

    Nested use (a service calling another inside its own transaction, as the self-handled report
    calls the intake) hands the inner files to the outer collector on success: only the outermost
    knows whether the whole transaction committed."""

    def __init__(self) -> None:
        self.files: list = []
        self._outer: StoredFiles | None = None
        self._token = None

    def __enter__(self) -> "StoredFiles":
        self._outer = _stored_files_active.get()
        self._token = _stored_files_active.set(self)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        _stored_files_active.reset(self._token)
        if exc_type is not None:
            for field_file in self.files:
                field_file.storage.delete(field_file.name)
        elif self._outer is not None:
            self._outer.files.extend(self.files)
