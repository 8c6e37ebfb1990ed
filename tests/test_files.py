"""Atomic writes: the file appears whole or not at all, and killed writers' leftovers go."""

import os
import time

from numpy_mlp.files import STALE_SECONDS, atomic_write


def test_a_write_removes_the_stale_temporary_files_that_killed_writers_left_of_its_path(tmp_path):
    def leftover(name, age_seconds):
        path = tmp_path / name
        path.write_bytes(b"half a file")
        then = time.time() - age_seconds
        os.utime(path, (then, then))
        return path

    stale = leftover(".tmp-ab_c1234model.npz", STALE_SECONDS + 60)
    fresh = leftover(".tmp-zz9yx876model.npz", 60)                        # a writer still at work
    other = leftover(".tmp-ab_c1234other-model.npz", STALE_SECONDS + 60)  # another path's
    atomic_write(tmp_path / "model.npz", lambda file: file.write(b"new"))
    assert not stale.exists() and fresh.exists() and other.exists()
    assert (tmp_path / "model.npz").read_bytes() == b"new"


def test_atomic_write_replaces_the_file_on_success(tmp_path):
    path = tmp_path / "file.bin"
    path.write_bytes(b"old")
    atomic_write(path, lambda file: file.write(b"new"))
    assert path.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["file.bin"]
