"""Writing files safely: a file appears whole at its final name, or not at all.

Used by model files, datasets (downloads, CSV output) and figures alike.
"""

from __future__ import annotations

import os
import re
import tempfile
import time

TEMPORARY_PREFIX = ".tmp-"
#: a temporary file untouched for this many seconds belongs to a writer that was killed
STALE_SECONDS = 3600


def remove_stale_temporaries(path) -> None:
    """Delete the temporary files of ``path`` that a killed writer left behind (best effort).

    A process killed outright (SIGKILL, power loss) cannot remove its temporary file; the next
    write to the same path does, once the file is STALE_SECONDS old (a live writer keeps its
    file fresh, so it is never removed from under it).
    """
    folder, name = os.path.split(os.path.abspath(path))
    # tempfile.mkstemp's names: the prefix, 8 random characters, then the suffix (the target's name).
    pattern = re.compile(re.escape(TEMPORARY_PREFIX) + r"[a-z0-9_]{8}" + re.escape(name))
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            if pattern.fullmatch(entry.name) and time.time() - entry.stat().st_mtime > STALE_SECONDS:
                os.remove(entry.path)
        except OSError:
            pass  # gone already, or not ours to remove: the write itself goes on


def atomic_write(path, write) -> None:
    """Call ``write(file)`` on a temporary file in ``path``'s folder, then rename it to ``path``.

    ``os.replace`` is atomic on one file system: readers see the old file or the new one,
    never a half-written one. The temporary file is removed if ``write`` fails.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    remove_stale_temporaries(path)
    handle, temporary = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, suffix=os.path.basename(path), dir=folder)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        os.chmod(temporary, _default_file_mode())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _default_file_mode() -> int:
    """0o666 less the process's umask (read by setting it and putting it back)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask
