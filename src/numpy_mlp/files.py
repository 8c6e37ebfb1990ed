"""Writing files safely: a file appears whole at its final name, or not at all.

Used by model files, datasets (downloads, CSV output) and figures alike. The bytes go to a
temporary file beside the target, ``.tmp-XXXXXXXX<name>``, renamed into place once complete.
Its writer holds an exclusive lock on it for its whole life (``fcntl.flock``); the operating
system drops the lock when the writer dies, even by SIGKILL, so the next write to the same
path removes the temporary files it can lock: those of dead writers, never a live one's.
On Windows, where there is no flock, a file another process holds open cannot be deleted,
which protects a live writer's file the same way until it closes the file to rename it (a
cleanup in that instant fails the write; the target stays as it was). Untested on Windows.
"""

from __future__ import annotations

import os
import re
import tempfile

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

TEMPORARY_PREFIX = ".tmp-"
#: how often a new temporary file is made again when a cleaner removed it before it was locked
LOCK_ATTEMPTS = 5


def check_writable_destination(path) -> None:
    """Raise an OSError naming ``path`` and the problem unless a file can be written there.

    Checks that the folder exists, is a folder and is writable, and that ``path`` is not a
    folder: what ``atomic_write`` needs. A command calls it before long work, so that a
    mistyped ``--out`` fails at once, not after training.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.exists(folder):
        raise FileNotFoundError(f"cannot write {path}: the folder {folder} does not exist")
    if not os.path.isdir(folder):
        raise NotADirectoryError(f"cannot write {path}: {folder} is not a folder")
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot write {path}: it is a folder; give a file name")
    if not os.access(folder, os.W_OK | os.X_OK, effective_ids=os.access in os.supports_effective_ids):
        raise PermissionError(f"cannot write {path}: no permission to write in the folder {folder}")


def atomic_write(path, write) -> None:
    """Call ``write(file)`` on a locked temporary file in ``path``'s folder, then rename it to ``path``.

    ``os.replace`` is atomic on one file system: readers see the old file or the new one,
    never a half-written one. The temporary file is removed if ``write`` fails, and by the
    next write to ``path`` if this process is killed first.
    """
    path = os.fspath(path)
    check_writable_destination(path)
    remove_dead_temporaries(path)
    handle, temporary = _locked_temporary(path)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
            # mkstemp makes the file private (0600); give it the mode a plain open() would.
            os.chmod(temporary, _default_file_mode())
            if fcntl is not None:
                os.replace(temporary, path)  # still locked: no cleaner can remove it first
        if fcntl is None:
            os.replace(temporary, path)  # Windows renames only a closed file
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def remove_dead_temporaries(path) -> None:
    """Delete the temporary files of ``path`` whose writers are dead (best effort).

    A temporary file is a dead writer's when its lock can be taken: a live writer holds it.
    """
    folder, name = os.path.split(os.path.abspath(path))
    # tempfile.mkstemp's names: the prefix, 8 random characters, then the suffix (the target's name).
    pattern = re.compile(re.escape(TEMPORARY_PREFIX) + r"[a-z0-9_]{8}" + re.escape(name))
    try:
        entries = [entry for entry in os.scandir(folder) if pattern.fullmatch(entry.name)]
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_file(follow_symlinks=False):
                _remove_if_dead(entry.path)
        except OSError:
            pass  # gone already, or held open by a live writer (Windows): the write goes on


def _remove_if_dead(temporary: str) -> None:
    """Delete ``temporary`` if its lock can be taken, that is if its writer is dead."""
    if fcntl is None:
        os.remove(temporary)  # Windows refuses to delete a file a live writer holds open
        return
    descriptor = os.open(temporary, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # Removed while locked: a new writer that made this file and waits for its lock
        # then finds it gone, and makes another.
        os.remove(temporary)
    except BlockingIOError:
        pass  # a live writer holds it
    finally:
        os.close(descriptor)


def _locked_temporary(path: str) -> tuple[int, str]:
    """(descriptor, name) of a new temporary file beside ``path``, locked by this process.

    Between its creation and its lock, another writer's cleanup may find the file unlocked and
    remove it; then a new one is made.
    """
    folder, name = os.path.split(os.path.abspath(path))
    for _ in range(LOCK_ATTEMPTS):
        handle, temporary = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, suffix=name, dir=folder)
        if fcntl is None:
            return handle, temporary
        fcntl.flock(handle, fcntl.LOCK_EX)  # waits only for a cleaner that is checking it
        try:
            if os.path.samestat(os.stat(temporary), os.fstat(handle)):
                return handle, temporary
        except FileNotFoundError:
            pass
        os.close(handle)
    raise OSError(f"cannot write {path}: temporary files beside it keep disappearing")


def _default_file_mode() -> int:
    """0o666 less the process's umask (read by setting it and putting it back)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask
