"""Atomic writes: the file appears whole or not at all, and dead writers' leftovers go, live ones' stay."""

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from numpy_mlp import MLP, load
from numpy_mlp.files import TEMPORARY_PREFIX, atomic_write, check_writable_destination

needs_fork = pytest.mark.skipif(not hasattr(os, "fork") or not hasattr(signal, "SIGKILL"),
                                reason="needs os.fork and SIGKILL (POSIX)")

# A writer that stops in the middle of its write and says so: a live writer until it is killed.
STOPPED_WRITER = """
import sys, time
from numpy_mlp.files import atomic_write

def write(file):
    file.write(b"half a file")
    file.flush()
    print("writing", flush=True)
    time.sleep(60)

atomic_write(sys.argv[1], write)
"""

# Forks, on each "fork" line, a writer that saves the model again and again (until killed), and
# prints its process id; on "reap PID" waits for that writer's end. Forking from this small
# single-threaded process (OpenBLAS told to start no threads) spares each writer the imports.
SAVING_WRITERS = """
import os, sys
from numpy_mlp import MLP

model = MLP(784, [256, 10], output="softmax", seed=0)
for command in sys.stdin:
    if command.startswith("fork"):
        pid = os.fork()
        if pid == 0:
            for _ in range(100_000):  # bounded, should the test never kill it
                model.save(sys.argv[1], include_optimizer=False)
            os._exit(0)
        print(pid, flush=True)
    else:
        os.waitpid(int(command.split()[1]), 0)
        print("reaped", flush=True)
"""


def temporaries(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.startswith(TEMPORARY_PREFIX))


def python(code: str, *args) -> subprocess.Popen:
    environment = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], env=environment, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def write_bytes(path, content: bytes) -> None:
    atomic_write(path, lambda file: file.write(content))


def test_atomic_write_replaces_the_file_on_success(tmp_path):
    path = tmp_path / "file.bin"
    path.write_bytes(b"old")
    write_bytes(path, b"new")
    assert path.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["file.bin"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "file.bin"
    path.write_bytes(b"old")

    def fail(file):
        file.write(b"partial")
        raise RuntimeError("the writer fails halfway")

    with pytest.raises(RuntimeError):
        atomic_write(path, fail)
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["file.bin"]


def test_leftovers_of_unlocked_temporaries_go_whatever_their_age_and_other_paths_stay(tmp_path):
    # Files nobody holds a lock on, just written: a dead writer's, as far as anyone can tell.
    dead = tmp_path / ".tmp-ab_c1234model.npz"
    other = tmp_path / ".tmp-ab_c1234other-model.npz"  # another path's
    unrelated = tmp_path / ".tmp-notes.txt"
    for leftover in (dead, other, unrelated):
        leftover.write_bytes(b"half a file")
    write_bytes(tmp_path / "model.npz", b"new")
    assert not dead.exists() and other.exists() and unrelated.exists()
    assert (tmp_path / "model.npz").read_bytes() == b"new"


def test_a_live_writers_temporary_survives_and_goes_once_the_writer_is_killed(tmp_path):
    path = tmp_path / "model.npz"
    writer = python(STOPPED_WRITER, path)
    try:
        assert writer.stdout.readline() == "writing\n"
        [leftover] = temporaries(tmp_path)
        write_bytes(path, b"written while the other writer works")
        assert temporaries(tmp_path) == [leftover]  # a live writer's file is not touched
        assert path.read_bytes() == b"written while the other writer works"
    finally:
        writer.kill()  # SIGKILL on POSIX: the writer cannot clean up
        writer.wait(timeout=10)
        writer.stdout.close()
        writer.stdin.close()
    assert temporaries(tmp_path) == [leftover]
    write_bytes(path, b"next")
    assert os.listdir(tmp_path) == ["model.npz"] and path.read_bytes() == b"next"


@needs_fork
def test_killed_during_save_the_file_is_always_whole_and_the_next_save_leaves_nothing(tmp_path):
    path = tmp_path / "model.npz"
    reference = MLP(784, [256, 10], output="softmax", seed=0)  # the model the writers save
    rng = random.Random(0)
    writers = python(SAVING_WRITERS, path)
    killed_mid_write = 0
    try:
        for _ in range(30):
            writers.stdin.write("fork\n")
            writers.stdin.flush()
            pid = int(writers.stdout.readline())
            time.sleep(rng.uniform(0.0, 0.04))
            os.kill(pid, signal.SIGKILL)
            writers.stdin.write(f"reap {pid}\n")
            writers.stdin.flush()
            assert writers.stdout.readline() == "reaped\n"
            killed_mid_write += bool(temporaries(tmp_path))
            if path.exists():  # absent only until a first save completes
                loaded = load(path)
                for name, array in reference.state_dict().items():
                    np.testing.assert_array_equal(loaded.state_dict()[name], array)
            reference.save(path)
            assert temporaries(tmp_path) == []
            assert os.listdir(tmp_path) == ["model.npz"]
    finally:
        writers.stdin.close()
        writers.wait(timeout=10)
        writers.stdout.close()
    assert killed_mid_write > 0, "no kill landed during a write: the test proved nothing"


def test_concurrent_writers_never_remove_each_others_files(tmp_path):
    # Each thread opens its own descriptors, so their locks exclude one another like processes'.
    path = tmp_path / "shared.bin"
    errors = []

    def writer(number):
        try:
            for _ in range(40):
                write_bytes(path, bytes([number]) * 1000)
        except Exception as error:  # noqa: BLE001  (reported below, with the others)
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    content = path.read_bytes()
    assert len(content) == 1000 and len(set(content)) == 1
    assert os.listdir(tmp_path) == ["shared.bin"]


def test_check_writable_destination_names_the_path_and_the_problem(tmp_path):
    (tmp_path / "a-file").write_bytes(b"")
    (tmp_path / "a-folder").mkdir()
    check_writable_destination(tmp_path / "new.npz")
    check_writable_destination(tmp_path / "a-file")  # replaced, as atomic_write would
    cases = [
        (tmp_path / "missing" / "model.npz", FileNotFoundError, "the folder .*missing does not exist"),
        (tmp_path / "a-file" / "model.npz", NotADirectoryError, ".*a-file is not a folder"),
        (tmp_path / "a-folder", IsADirectoryError, "it is a folder"),
    ]
    for path, error, message in cases:
        with pytest.raises(error, match=re.escape(f"cannot write {path}: ") + message):
            check_writable_destination(path)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere")
def test_check_writable_destination_refuses_a_read_only_folder(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match="no permission to write in the folder"):
            check_writable_destination(folder / "model.npz")
    finally:
        folder.chmod(0o700)


def test_a_write_into_a_missing_folder_names_the_path_not_a_temporary_file(tmp_path):
    path = tmp_path / "missing" / "model.npz"
    with pytest.raises(FileNotFoundError) as raised:
        write_bytes(path, b"x")
    assert str(path) in str(raised.value) and TEMPORARY_PREFIX not in str(raised.value)
