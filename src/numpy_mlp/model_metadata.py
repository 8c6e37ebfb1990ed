"""What a model file may hold: each metadata field's type, range and agreement with the arrays.

Pure checks of JSON values and of array headers (shapes and dtypes), run by
``serialization.read_model_file`` before any array is read and before any model is built; then
``check_array_values`` looks at the numbers themselves. A file that fails gets a
``ModelFileError`` naming the field and what is wrong with it.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


class ModelFileError(ValueError):
    """A file that is not a readable numpy-mlp model (corrupt, truncated, foreign, hostile or too new)."""


#: Array headers as the checks see them: name -> (shape, dtype).
Headers = dict[str, tuple[tuple[int, ...], np.dtype]]


def check_metadata(path, metadata: dict, headers: Headers) -> None:
    """Raise ModelFileError unless ``metadata`` describes a model that the arrays of ``headers`` fit."""
    try:
        config = _check_config(metadata.get("config"))
        sizes = [config["n_features"], *config["neurons_per_layer"]]
        _check_layers(headers, sizes, np.dtype(config["dtype"]))
        _check_scaler(headers, "scaler", config["n_features"], "feature")
        _check_scaler(headers, "target_scaler", sizes[-1], "output")
        _check_threshold(metadata.get("threshold"))
        _check_classes(metadata.get("classes"), config["output"], sizes[-1])
        _check_feature_names(metadata.get("feature_names"), config["n_features"])
        _check_feature_range(metadata.get("feature_range"))
        _check_int(metadata.get("epochs_trained"), "epochs_trained")
        _check_int(metadata.get("planned_epochs", 0), "planned_epochs")
        if metadata.get("batch_size") is not None:
            _check_int(metadata["batch_size"], "batch_size", minimum=1)
        _check_random_state(metadata.get("rng_state"))
        _check_training_metrics(metadata.get("training_metrics", {}))
        _check_optimizer(metadata.get("optimizer"), headers, sizes, np.dtype(config["dtype"]))
    except (TypeError, ValueError) as error:
        raise ModelFileError(f"{path} is not a valid numpy-mlp model file: {error}") from None


def check_array_values(path, arrays: dict[str, np.ndarray]) -> None:
    """Raise ModelFileError for weights or scaling that would make every prediction NaN."""
    for name, array in arrays.items():
        if not np.isfinite(array).all():
            raise ModelFileError(f"{path} is not a valid numpy-mlp model file: {name} holds NaN or infinity")
    for name in ("scaler.std", "target_scaler.std"):
        if name in arrays and not (arrays[name] > 0).all():
            raise ModelFileError(f"{path} is not a valid numpy-mlp model file: {name} holds a standard "
                                 "deviation of 0 or less, which would divide by 0")


def _check_config(config) -> dict:
    """The constructor's arguments: the sizes and names the rest is checked against."""
    if not isinstance(config, dict):
        raise ValueError("'config' is missing" if config is None else f"config must be an object, got {config!r:.80}")
    for key in ("n_features", "neurons_per_layer", "output", "dtype"):
        if key not in config:
            raise ValueError(f"config has no {key!r}")
    _check_int(config["n_features"], "config n_features", minimum=1)
    layers = config["neurons_per_layer"]
    if not isinstance(layers, list) or not layers:
        raise ValueError(f"config neurons_per_layer must be a non-empty list, got {layers!r:.80}")
    for width in layers:
        _check_int(width, "each entry of config neurons_per_layer", minimum=1)
    if config["dtype"] not in ("float32", "float64"):
        raise ValueError(f"config dtype must be 'float32' or 'float64', got {config['dtype']!r:.80}")
    if not isinstance(config["output"], str):
        raise ValueError(f"config output must be a name, got {config['output']!r:.80}")
    return config


def _check_int(value, name: str, minimum: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value < 2 ** 63:
        raise ValueError(f"{name} must be an integer from {minimum} to 2**63 - 1, got {value!r:.80}")


def _check_array(headers: Headers, name: str, shape: tuple[int, ...], dtype: np.dtype) -> None:
    if name not in headers:
        raise ValueError(f"the array {name} is missing")
    found, found_dtype = headers[name]
    if found != shape:
        raise ValueError(f"{name} has shape {found}, but the architecture needs {shape}")
    if found_dtype.kind != "f" or found_dtype.newbyteorder("=") != dtype:
        raise ValueError(f"{name} holds {found_dtype} values, but the model computes in {dtype}")


def _check_layers(headers: Headers, sizes: list[int], dtype: np.dtype) -> None:
    """layers.<i>.weights (n_in, n_out) and layers.<i>.bias (n_out,) for each layer, and nothing more."""
    expected = set()
    for index, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        _check_array(headers, f"layers.{index}.weights", (n_in, n_out), dtype)
        _check_array(headers, f"layers.{index}.bias", (n_out,), dtype)
        expected.update({f"layers.{index}.weights", f"layers.{index}.bias"})
    extra = sorted(name for name in headers if name.startswith("layers.") and name not in expected)
    if extra:
        raise ValueError(f"the file has arrays the architecture has no place for: {', '.join(extra[:5])}")


def _check_scaler(headers: Headers, prefix: str, size: int, each: str) -> None:
    """``prefix``.mean and .std, both or neither, one float per feature (or per output)."""
    present = [name for name in (f"{prefix}.mean", f"{prefix}.std") if name in headers]
    if len(present) == 1:
        raise ValueError(f"{present[0]} is there without its twin")
    for name in present:
        shape, dtype = headers[name]
        if shape != (size,) or dtype.kind != "f":
            raise ValueError(f"{name} must hold {size} floats (one per {each}), got shape {shape} "
                             f"and dtype {dtype}")


def _check_threshold(threshold) -> None:
    """None, or the decision threshold choose_threshold stored: a finite number."""
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, numbers.Real)
                                  or not math.isfinite(threshold)):
        raise ValueError(f"threshold must be a finite number, got {threshold!r:.80}")


def _check_classes(classes, output: str, n_outputs: int) -> None:
    """None, or the labels of the outputs: 2 for one sigmoid output, K for a softmax over K."""
    if classes is None:
        return
    if not isinstance(classes, list) or not all(isinstance(label, (str, numbers.Real)) for label in classes):
        raise ValueError(f"classes must be a list of labels (strings or numbers), got {classes!r:.80}")
    if len({isinstance(label, str) for label in classes}) > 1:
        raise ValueError(f"classes mix strings and numbers: {classes!r:.80}")
    if len(set(classes)) != len(classes):
        raise ValueError(f"classes repeat a label: {classes!r:.80}")
    expected = {"sigmoid": 2 if n_outputs == 1 else None, "softmax": n_outputs}.get(output)
    if len(classes) != expected:
        wanted = "none (its outputs have no class names)" if expected is None else str(expected)
        raise ValueError(f"the file lists {len(classes)} classes, but a {output} output of {n_outputs} "
                         f"unit(s) has {wanted}")


def _check_feature_names(names, n_features: int) -> None:
    if names is None:
        return
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ValueError(f"feature_names must be a list of strings, got {names!r:.80}")
    if len(names) != n_features or len(set(names)) != len(names):
        raise ValueError(f"feature_names must name each of the {n_features} features once, "
                         f"got {len(names)} names ({len(set(names))} distinct)")


def _check_feature_range(feature_range) -> None:
    if feature_range is None:
        return
    if (not isinstance(feature_range, list) or len(feature_range) != 2
            or not all(isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
                       for value in feature_range)
            or feature_range[0] > feature_range[1]):
        raise ValueError(f"feature_range must be [smallest, largest], two finite numbers, got {feature_range!r:.80}")


def _check_training_metrics(metrics) -> None:
    """The last epoch's metrics: at most 64 names, each a finite number (or null: no value)."""
    if (not isinstance(metrics, dict) or len(metrics) > 64
            or not all(isinstance(name, str) and (value is None or isinstance(value, numbers.Real)
                                                  and not isinstance(value, bool) and math.isfinite(value))
                       for name, value in metrics.items())):
        raise ValueError(f"training_metrics must map metric names to numbers, got {metrics!r:.80}")


def _check_random_state(state) -> None:
    """A state that NumPy's PCG64 generator (the model's) accepts."""
    try:
        np.random.PCG64().state = state
    except (TypeError, ValueError, KeyError, OverflowError, AttributeError):
        raise ValueError(f"rng_state is not a state of NumPy's PCG64 generator: {state!r:.80}") from None


def _check_optimizer(optimizer, headers: Headers, sizes: list[int], dtype: np.dtype) -> None:
    """The optimizer's description, and its state arrays shaped like the parameters."""
    state = [name for name in headers if name.startswith("optimizer.")]
    if optimizer is None:
        if state:
            raise ValueError("the file has optimizer state but no optimizer")
        return
    if (not isinstance(optimizer, dict) or not isinstance(optimizer.get("name"), str)
            or not isinstance(optimizer.get("config"), dict)):
        raise ValueError(f"optimizer must be {{'name': ..., 'config': {{...}}}}, got {optimizer!r:.80}")
    shapes = [shape for n_in, n_out in zip(sizes[:-1], sizes[1:]) for shape in ((n_in, n_out), (n_out,))]
    for name in state:
        index, _, key = name.removeprefix("optimizer.").partition(".")
        if index == "step_count":
            expected = ((), "an integer")
        elif index.isdigit() and int(index) < len(shapes) and key:
            expected = (shapes[int(index)], dtype.name)
        else:
            raise ValueError(f"{name} belongs to no parameter of the model")
        shape, found = headers[name]
        if shape != expected[0] or (found.kind not in "iu" if index == "step_count" else found != dtype):
            raise ValueError(f"{name} must hold {expected[1]} values of shape {expected[0]}, "
                             f"got {found} of shape {shape}")
