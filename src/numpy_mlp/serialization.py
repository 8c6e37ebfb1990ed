"""Model files: one ``.npz`` of plain arrays plus JSON metadata, never pickle.

Layout: ``metadata`` (a JSON string: format name and version, the constructor's arguments,
the class labels, epochs trained, the random generator's state, the optimizer's name and
hyperparameters), ``layers.<i>.weights`` / ``layers.<i>.bias``, ``scaler.mean`` /
``scaler.std`` when the model standardises, and ``optimizer.<key>`` when asked for.
Files are written to a temporary file beside the target and then renamed over it, so a
crash mid-write leaves the previous file as it was.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
import zlib

import numpy as np

FORMAT = "numpy-mlp"
FORMAT_VERSION = 1


class ModelFileError(ValueError):
    """A file that is not a readable numpy-mlp model (corrupt, truncated, foreign or too new)."""


def atomic_write(path, write) -> None:
    """Call ``write(file)`` on a temporary file in ``path``'s folder, then rename it to ``path``.

    ``os.replace`` is atomic on one file system: readers see the old file or the new one,
    never a half-written one. The temporary file is removed if ``write`` fails.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.basename(path), dir=folder)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def save(model, path, include_optimizer: bool = False) -> None:
    """Write ``model`` to ``path`` (an .npz file), atomically; see the module docstring."""
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": model.config(),
        "classes": None if model.classes_ is None else model.classes_.tolist(),
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


def read_arrays(path) -> dict[str, np.ndarray]:
    """Every array in an .npz file, with a ModelFileError for anything that is not one."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise ModelFileError(f"{path} is a single .npy array, not a numpy-mlp model file")
            return {name: data[name] for name in data.files}
    except FileNotFoundError:
        raise
    except ModelFileError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as error:
        raise ModelFileError(f"{path} is not a readable numpy-mlp model file "
                             f"(corrupt or truncated?): {error}") from None


def load(path):
    """Read a model written by ``save`` (and its optimizer, if saved with it)."""
    from .network import MLP
    from .optimizers import OPTIMIZERS
    from .preprocessing import Standardizer

    arrays = read_arrays(path)
    try:
        metadata = json.loads(str(arrays.pop("metadata")))
        if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
            raise ModelFileError(f"{path} is an .npz file but not a numpy-mlp model")
        if metadata.get("format_version", 0) > FORMAT_VERSION:
            raise ModelFileError(f"{path} has format version {metadata['format_version']}; this "
                                 f"numpy-mlp reads up to {FORMAT_VERSION}: upgrade numpy-mlp")
        model = MLP(**metadata["config"])
        model.load_state_dict({key: value for key, value in arrays.items() if key.startswith("layers.")})
        if "scaler.mean" in arrays:
            model.scaler = Standardizer(arrays["scaler.mean"], arrays["scaler.std"])
        if metadata["classes"] is not None:
            model.classes_ = np.asarray(metadata["classes"])
        model.epochs_trained = int(metadata["epochs_trained"])
        model.rng.bit_generator.state = metadata["rng_state"]
        if "optimizer" in metadata:
            optimizer = OPTIMIZERS[metadata["optimizer"]["name"]].from_config(metadata["optimizer"]["config"])
            optimizer.attach(model.parameters())
            prefix = "optimizer."
            optimizer.load_state_dict({key[len(prefix):]: value for key, value in arrays.items()
                                       if key.startswith(prefix)})
            model.optimizer = optimizer
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise ModelFileError(f"{path} is not a valid numpy-mlp model file: {error!r}") from None
    return model
