"""load_mnist / fetch_mnist: the real files, the search order, verification, and downloads from 127.0.0.1."""

import shutil
import sys

import numpy as np
import pytest
from helpers import refused_url, require_mnist, serve, without_proxy

from numpy_mlp.datasets.download import ChecksumError, DownloadError, sha256_file
from numpy_mlp.datasets.mnist import ENV_VAR, SHA256, SIZES, cache_dir, fetch_mnist, load_mnist

# The published class counts of the 60,000 training and 10,000 test digits.
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
LABEL_FILES = ["train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No $NUMPY_MLP_DATA, a user cache under tmp_path (the real one is never touched), no proxy."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "cache"))
    without_proxy(monkeypatch)


@pytest.fixture(scope="module")
def mnist():
    return load_mnist(require_mnist(), download=False)


def copy_files(names, folder):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(require_mnist() / name, folder / name)
    return folder


def test_shapes_dtypes_and_ranges(mnist):
    (X_train, y_train), (X_test, y_test) = mnist
    assert X_train.shape == (60000, 784) and X_test.shape == (10000, 784)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert X_train.dtype == X_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    for X in (X_train, X_test):
        assert X.flags.c_contiguous
        assert X.min() == 0.0 and X.max() == 1.0


def test_labels_are_the_published_digits(mnist):
    (_, y_train), (_, y_test) = mnist
    assert y_train[0] == 5 and y_test[0] == 7
    assert np.bincount(y_train, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test, minlength=10).tolist() == TEST_COUNTS


def test_uint8_and_float64_on_request(mnist):
    """The scaled images are exactly pixel / 255, in the dtype asked for (compared on the test split)."""
    _, (X_float32, y_float32) = mnist
    (X_raw_train, _), (X_raw, y_raw) = load_mnist(require_mnist(), download=False, normalize=False)
    assert X_raw_train.dtype == X_raw.dtype == np.uint8 and X_raw.max() == 255
    assert np.array_equal(X_raw.astype(np.float32) / 255, X_float32)
    assert np.array_equal(y_raw, y_float32)
    _, (X_uint8, _) = load_mnist(require_mnist(), download=False, dtype=np.uint8)
    assert X_uint8.dtype == np.uint8
    _, (X_float64, _) = load_mnist(require_mnist(), download=False, dtype=np.float64)
    assert X_float64.dtype == np.float64
    assert np.array_equal(X_float64, X_raw / 255.0)


def test_an_unsupported_dtype_is_refused_before_reading(tmp_path):
    with pytest.raises(ValueError, match="float32 or float64"):
        load_mnist(tmp_path, download=False, dtype=np.int32)


def test_cache_dir_follows_xdg_then_home(monkeypatch, tmp_path):
    assert cache_dir() == tmp_path / "cache" / "numpy-mlp" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == tmp_path / "home" / ".cache" / "numpy-mlp" / "mnist"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert cache_dir() == tmp_path / "home" / "Library" / "Caches" / "numpy-mlp" / "mnist"
    monkeypatch.setattr(sys, "platform", "win32")
    assert cache_dir() == tmp_path / "cache" / "numpy-mlp" / "mnist"  # %LOCALAPPDATA%


def test_search_order_is_data_dir_then_environment_then_cache(monkeypatch, tmp_path):
    data_dir = copy_files(LABEL_FILES[:1], tmp_path / "data")
    environment = copy_files(LABEL_FILES, tmp_path / "env")
    monkeypatch.setenv(ENV_VAR, str(environment))
    copy_files(SHA256, cache_dir())

    paths = fetch_mnist(data_dir, download=False)

    assert paths["train-labels-idx1-ubyte.gz"] == data_dir / "train-labels-idx1-ubyte.gz"
    assert paths["t10k-labels-idx1-ubyte.gz"] == environment / "t10k-labels-idx1-ubyte.gz"
    assert paths["train-images-idx3-ubyte.gz"] == cache_dir() / "train-images-idx3-ubyte.gz"
    assert paths["t10k-images-idx3-ubyte.gz"] == cache_dir() / "t10k-images-idx3-ubyte.gz"


def test_loads_from_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_VAR, str(require_mnist()))
    paths = fetch_mnist(tmp_path / "empty", download=False)
    assert all(path.parent == require_mnist() for path in paths.values())


def test_missing_files_without_download_say_where_and_how(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env"))
    with pytest.raises(FileNotFoundError) as raised:
        load_mnist(tmp_path / "data", download=False)
    message = str(raised.value)
    for place in (tmp_path / "data", tmp_path / "env", cache_dir()):
        assert str(place) in message
    assert all(name in message for name in SHA256)
    assert "download=True" in message and "data_dir" in message
    assert not (tmp_path / "data").exists()  # looking creates nothing


def test_a_corrupt_local_file_is_refused_with_its_digests(monkeypatch, tmp_path):
    data_dir = copy_files(LABEL_FILES, tmp_path / "data")
    truncated = data_dir / "t10k-labels-idx1-ubyte.gz"
    content = truncated.read_bytes()
    truncated.write_bytes(content[:-100])
    # A good copy further down the search order does not hide the corrupt one.
    monkeypatch.setenv(ENV_VAR, str(require_mnist()))
    with pytest.raises(ChecksumError) as raised:
        load_mnist(data_dir, download=True, mirrors=[refused_url()])
    message = str(raised.value)
    assert str(truncated) in message
    assert SHA256["t10k-labels-idx1-ubyte.gz"] in message and sha256_file(truncated) in message
    assert "Delete it" in message
    assert truncated.read_bytes() == content[:-100]  # the user's file is left alone


def test_download_verifies_and_loads(tmp_path, mnist):
    reports = []
    with serve(require_mnist()) as url:
        (X_train, y_train), (X_test, y_test) = load_mnist(
            tmp_path / "new", mirrors=[url], progress=lambda *report: reports.append(report))
    assert sorted(path.name for path in (tmp_path / "new").iterdir()) == sorted(SHA256)
    assert all(sha256_file(tmp_path / "new" / name) == digest for name, digest in SHA256.items())
    (X_expected, y_expected), (X_test_expected, y_test_expected) = mnist
    np.testing.assert_array_equal(X_train, X_expected)
    np.testing.assert_array_equal(y_test, y_test_expected)
    assert {report[0] for report in reports} == set(SHA256)


def test_the_sizes_are_the_original_files_and_cap_downloads(tmp_path):
    assert {name: (require_mnist() / name).stat().st_size for name in SIZES} == SIZES
    # A mirror serving a labels file one byte longer than the original is cut off at the size.
    mirror = copy_files(LABEL_FILES, tmp_path / "mirror")
    (mirror / LABEL_FILES[1]).write_bytes((mirror / LABEL_FILES[1]).read_bytes() + b"\0")
    copy_files([name for name in SHA256 if name != LABEL_FILES[1]], tmp_path / "data")
    with serve(mirror) as url, pytest.raises(DownloadError, match=f"more than the {SIZES[LABEL_FILES[1]]} "):
        fetch_mnist(tmp_path / "data", mirrors=[url])


@pytest.mark.parametrize("environment_set", [True, False], ids=["env", "cache"])
def test_downloads_go_to_the_environment_folder_else_the_cache(monkeypatch, tmp_path, environment_set):
    expected = tmp_path / "env" if environment_set else cache_dir()
    if environment_set:
        monkeypatch.setenv(ENV_VAR, str(expected))
    with serve(require_mnist()) as url:
        paths = fetch_mnist(mirrors=[refused_url(), url])
    assert paths == {name: expected / name for name in SHA256}
    assert sorted(path.name for path in expected.iterdir()) == sorted(SHA256)


def test_an_unwritable_data_dir_falls_back_to_the_next_folder(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_bytes(b"")  # a file where a folder should be: it cannot be created
    with serve(require_mnist()) as url:
        paths = fetch_mnist(blocked / "mnist", mirrors=[url])
    assert all(path.parent == cache_dir() for path in paths.values())


def test_a_corrupt_mirror_file_is_rejected_and_leaves_nothing(tmp_path):
    mirror = copy_files(SHA256, tmp_path / "mirror")
    corrupt = bytearray((mirror / "t10k-images-idx3-ubyte.gz").read_bytes())
    corrupt[500_000] ^= 0xFF
    (mirror / "t10k-images-idx3-ubyte.gz").write_bytes(bytes(corrupt))
    target = tmp_path / "target"
    with serve(mirror) as url, pytest.raises(DownloadError, match="t10k-images-idx3-ubyte.gz"):
        load_mnist(target, mirrors=[url])
    assert "t10k-images-idx3-ubyte.gz" not in {path.name for path in target.iterdir()}
    assert {path.name for path in target.iterdir()} <= set(SHA256)  # no temporary file left


def test_the_second_mirror_is_used_when_the_first_answers_404(tmp_path):
    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    with serve(empty) as missing, serve(require_mnist()) as good:
        paths = fetch_mnist(tmp_path / "target", mirrors=[missing, good])
    assert all(sha256_file(path) == SHA256[name] for name, path in paths.items())
