"""Model files: one ``.npz`` of plain arrays plus JSON metadata, never pickle.

This module knows the file format and nothing of the model: ``MLP.save`` hands it arrays and
metadata, and ``numpy_mlp.load`` builds the model from what ``read_model_file`` returns.

Layout: ``metadata`` (a JSON string: format name and version, the constructor's arguments,
the class labels, the feature names if known, the training features' range, epochs trained,
the random generator's state, the optimizer's name and hyperparameters),
``layers.<i>.weights`` / ``layers.<i>.bias``, ``scaler.mean`` / ``scaler.std`` when the model
standardises, and ``optimizer.<key>`` when asked for.
Files are written to a temporary file beside the target and then renamed over it, so a
crash mid-write leaves the previous file as it was (and the next write to that path removes
the temporary file of a writer that was killed).
"""

from __future__ import annotations

import json
import struct
import zipfile
import zlib

import numpy as np

from .files import atomic_write

FORMAT = "numpy-mlp"
FORMAT_VERSION = 1
ZIP_MAGIC = b"PK\x03\x04"  # an .npz file is a zip archive
NPY_MAGIC = b"\x93NUMPY"  # a single array saved by numpy.save


class ModelFileError(ValueError):
    """A file that is not a readable numpy-mlp model (corrupt, truncated, foreign or too new)."""


def write_model_file(path, arrays: dict[str, np.ndarray], metadata: dict) -> None:
    """Write ``arrays`` and the JSON ``metadata`` (format and version added) to an .npz file, atomically."""
    text = json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION, **metadata})
    atomic_write(path, lambda file: np.savez(file, **arrays, metadata=np.array(text)))


def read_model_file(path) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays and the metadata of a model file, checked to be ours, readable and consistent.

    Raises FileNotFoundError for a missing file and ModelFileError for anything else wrong.
    """
    arrays = read_arrays(path)
    metadata = read_metadata(path, arrays)
    if not isinstance(metadata.get("config"), dict):
        raise ModelFileError(f"{path} is not a valid numpy-mlp model file: 'config' is missing")
    _check_scaler(path, arrays, metadata)
    optimizer = metadata.get("optimizer")
    if isinstance(optimizer, dict) and isinstance(optimizer.get("config"), dict):
        config = optimizer["config"]
        for old, new in RENAMED_OPTIONS.items():
            if old in config:
                config[new] = config.pop(old)
    return arrays, metadata


#: hyperparameters that older files name differently (numpy-mlp 0.1's Adam): old name -> name now
RENAMED_OPTIONS = {"b1": "beta1", "b2": "beta2"}


# Every way NumPy's reader and zipfile fail on bytes that are not a well-formed .npz.
_UNREADABLE = (OSError, ValueError, EOFError, KeyError, SyntaxError, NotImplementedError, RuntimeError,
               zipfile.BadZipFile, zlib.error, struct.error)


def read_arrays(path) -> dict[str, np.ndarray]:
    """Every array in an .npz file, with a ModelFileError for anything that is not one.

    ``allow_pickle=False`` makes NumPy refuse pickled object arrays, so reading a file never
    runs code from it.
    """
    with open(path, "rb") as file:  # FileNotFoundError and the like pass through as they are
        magic = file.read(len(NPY_MAGIC))
    if not magic.startswith(ZIP_MAGIC):
        kind = "a single NumPy array (.npy)" if magic == NPY_MAGIC else "not an .npz archive"
        raise ModelFileError(f"{path} is not a numpy-mlp model file: it is {kind}")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except _UNREADABLE as error:
        if "allow_pickle" in str(error):
            raise ModelFileError(f"{path} holds a pickled Python object, which numpy-mlp refuses to "
                                 "load (unpickling can run code); not a numpy-mlp model file") from None
        raise ModelFileError(f"{path} is not a readable numpy-mlp model file (corrupt or truncated?): "
                             f"{error}") from None
    for name, array in arrays.items():
        if not isinstance(array, np.ndarray):  # a zip member that is not an .npy: NumPy returns its bytes
            raise ModelFileError(f"{path}: entry {name!r} is not a NumPy array; not a numpy-mlp model file")
    return arrays


def read_metadata(path, arrays: dict[str, np.ndarray]) -> dict:
    """The JSON metadata of a model file, checked for our format and a version we can read."""
    text = arrays.pop("metadata", None)
    if text is None or text.dtype.kind != "U" or text.ndim != 0:
        raise ModelFileError(f"{path} is an .npz file without numpy-mlp metadata, not a numpy-mlp model")
    try:
        metadata = json.loads(str(text))
    except ValueError as error:
        raise ModelFileError(f"{path} has unreadable metadata (not JSON: {error})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ModelFileError(f"{path} is an .npz file but not a numpy-mlp model")
    version = metadata.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ModelFileError(f"{path} has an invalid format version {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{path} has format version {version}; this numpy-mlp reads up to "
                             f"{FORMAT_VERSION}: upgrade numpy-mlp to load it")
    return metadata


def _check_scaler(path, arrays: dict[str, np.ndarray], metadata: dict) -> None:
    """The saved standardisation's mean and std must hold one float per feature."""
    n_features = metadata["config"].get("n_features")
    for name in ("scaler.mean", "scaler.std"):
        array = arrays.get(name)
        if array is not None and (array.shape != (n_features,) or array.dtype.kind != "f"):
            raise ModelFileError(f"{path} is not a valid numpy-mlp model file: {name} must hold "
                                 f"{n_features} floats (one per feature), got shape {array.shape} "
                                 f"and dtype {array.dtype}")
