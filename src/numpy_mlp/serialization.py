"""Model files: one ``.npz`` of plain arrays plus JSON metadata, never pickle.

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


def save(model, path, include_optimizer: bool = False) -> None:
    """Write ``model`` to ``path`` (an .npz file), atomically; see the module docstring."""
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": model.config(),
        "classes": None if model.classes_ is None else model.classes_.tolist(),
        "feature_names": _feature_names(model),
        "feature_range": None if model.feature_range_ is None else list(model.feature_range_),
        "epochs_trained": model.epochs_trained,
        "rng_state": model.rng.bit_generator.state,
    }
    arrays = dict(model.state_dict())
    if model.scaler is not None:
        arrays["scaler.mean"], arrays["scaler.std"] = model.scaler.mean, model.scaler.std
    if include_optimizer:
        if model.optimizer is None:
            raise ValueError("include_optimizer=True, but the model has no optimizer: fit it first")
        metadata["optimizer"] = {"name": model.optimizer.name, "config": model.optimizer.config()}
        arrays.update({f"optimizer.{key}": value for key, value in model.optimizer.state_dict().items()})
    arrays["metadata"] = np.array(json.dumps(metadata))
    atomic_write(path, lambda file: np.savez(file, **arrays))


# Every way NumPy's reader and zipfile fail on bytes that are not a well-formed .npz.
_UNREADABLE = (OSError, ValueError, EOFError, KeyError, SyntaxError, NotImplementedError, RuntimeError,
               zipfile.BadZipFile, zlib.error, struct.error)


def _feature_names(model) -> list[str] | None:
    """The column names a model was trained on, when its trainer set ``model.feature_names_``
    (the CLI does, from the CSV header), so that ``predict`` can pick those columns again."""
    names = model.feature_names_
    return None if names is None else [str(name) for name in names]


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


def load(path):
    """Read a model written by ``save`` (and its optimizer, if saved with it).

    Raises FileNotFoundError for a missing file and ModelFileError for a file that is not a
    numpy-mlp model this version can read (corrupt, truncated, foreign or newer).
    """
    from .network import MLP
    from .optimizers import OPTIMIZERS
    from .preprocessing import Standardizer

    arrays = read_arrays(path)
    metadata = read_metadata(path, arrays)
    try:
        model = MLP(**metadata["config"])
        model.load_state_dict({key: value for key, value in arrays.items() if key.startswith("layers.")})
        if "scaler.mean" in arrays:
            model.scaler = Standardizer(*_scaler_arrays(arrays, model))
        if metadata["classes"] is not None:
            model.classes_ = np.asarray(metadata["classes"])
        model.feature_names_ = metadata.get("feature_names")
        if metadata.get("feature_range") is not None:  # absent from files of older versions
            low, high = (float(value) for value in metadata["feature_range"])
            model.feature_range_ = (low, high)
        model.epochs_trained = int(metadata["epochs_trained"])
        model.rng.bit_generator.state = metadata["rng_state"]
        if "optimizer" in metadata:
            name = metadata["optimizer"]["name"]
            if name not in OPTIMIZERS:
                raise ModelFileError(f"{path} was saved with optimizer {name!r}, which this numpy-mlp "
                                     f"does not have (it has {sorted(OPTIMIZERS)})")
            optimizer = OPTIMIZERS[name].from_config(metadata["optimizer"]["config"])
            optimizer.attach(model.parameters())
            prefix = "optimizer."
            optimizer.load_state_dict({key[len(prefix):]: value for key, value in arrays.items()
                                       if key.startswith(prefix)})
            model.optimizer = optimizer
    except ModelFileError:
        raise
    except KeyError as error:
        raise ModelFileError(f"{path} is not a valid numpy-mlp model file: {error} is missing") from None
    except (TypeError, ValueError, AttributeError) as error:
        raise ModelFileError(f"{path} is not a valid numpy-mlp model file: {error}") from None
    return model


def _scaler_arrays(arrays, model) -> tuple[np.ndarray, np.ndarray]:
    """The saved standardisation's mean and std, checked to have one value per feature."""
    mean, std = arrays["scaler.mean"], arrays["scaler.std"]
    for name, array in (("scaler.mean", mean), ("scaler.std", std)):
        if array.shape != (model.n_features,) or array.dtype.kind != "f":
            raise ValueError(f"{name} must hold {model.n_features} floats (one per feature), "
                             f"got shape {array.shape} and dtype {array.dtype}")
    return mean, std
