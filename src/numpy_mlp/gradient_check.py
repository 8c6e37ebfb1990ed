"""Gradient checking: a backward pass compared with central finite differences, in float64.

For each element a_i of a parameter (or of the input) the numerical derivative is

    dL/da_i ~ (L(a + eps e_i) - L(a - eps e_i)) / (2 eps)        (error O(eps^2))

and an array's relative error is  max_i |analytic_i - numeric_i| / max_i (|analytic_i| + |numeric_i|).
It is normalised by the array's largest gradient, not element by element: central differences
carry an absolute rounding error (about 1e-16 |L| / eps), so an element whose true gradient is
1e-10 cannot be matched to 1e-6 of itself by any float64 check.

Thresholds (float64, eps = 1e-6), in the spirit of the CS231n notes:
    error < 1e-6            ok: a correct backward typically gives 1e-8 to 1e-11
    1e-6 <= error < 1e-3    suspect: look closer (a subtle bug, or a badly scaled loss)
    error >= 1e-3           WRONG: the backward is almost certainly wrong
``passed`` means every array is below ``tolerance`` (1e-6 by default).

Kinks: where the loss bends within +-eps of a point (a ReLU's input crossing 0), the central
difference averages two slopes and measures no derivative. The one-sided slopes
(L(a + eps e_i) - L(a)) / eps and (L(a) - L(a - eps e_i)) / eps then disagree, and any value
between them is a valid (sub)gradient: such an element is compared with that interval instead.
Elements whose mismatch a kink explains are counted, and a warning says so. This is why
CS231n's looser "fine near kinks" band (1e-5) is not needed here.

Everything runs on a float64 copy: the model or layer given is left untouched, and a float32
model is checked correctly (in float32, eps = 1e-6 is below the weights' resolution).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from .network import MLP
from .validation import check_positive_float

PASS_TOLERANCE = 1e-6
WRONG_THRESHOLD = 1e-3


def perturbed_losses(loss, array: np.ndarray, eps: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """L(a + eps e_i) and L(a - eps e_i) for every element i of ``array``, as two arrays of its shape.

    ``loss`` takes no argument and reads ``array``, which is changed in place and restored.
    """
    plus, minus = np.empty(array.shape), np.empty(array.shape)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + eps
        plus[index] = loss()
        array[index] = original - eps
        minus[index] = loss()
        array[index] = original
    return plus, minus


def numerical_gradient(loss, array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences (L(a + eps) - L(a - eps)) / (2 eps) for every element of ``array`` (float64).

    ``loss`` takes no argument and reads ``array``, which is changed in place and restored.
    """
    plus, minus = perturbed_losses(loss, array, eps)
    return (plus - minus) / (2 * eps)


def relative_error(analytic, numeric) -> float:
    """max |a - n| / max(|a| + |n|) over the whole array: scale-free, 0 for identical arrays."""
    analytic, numeric = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    scale = max(float(np.max(np.abs(analytic) + np.abs(numeric))), 1e-12)
    return float(np.max(np.abs(analytic - numeric))) / scale


@dataclass(frozen=True)
class GradientRow:
    """One array's comparison: its name, shape, relative error, and elements found at a kink."""

    name: str
    shape: tuple
    error: float
    kinks: int = 0
    note: str = ""

    def status(self, tolerance: float = PASS_TOLERANCE) -> str:
        if self.error < tolerance:
            return "ok"
        return "suspect" if self.error < WRONG_THRESHOLD else "WRONG"


class GradientCheckResult:
    """What ``gradient_check`` found: ``passed``, ``worst_error``, ``rows`` and ``warnings``.

    ``str(result)`` (or ``result.table()``) is a readable table, one row per array checked.
    """

    def __init__(self, rows: list[GradientRow], tolerance: float, eps: float):
        self.rows, self.tolerance, self.eps = rows, tolerance, eps
        self.warnings = [row.note for row in rows if row.kinks]

    @property
    def worst_error(self) -> float:
        """The largest relative error over all arrays (inf for a gradient of the wrong shape)."""
        return max((row.error for row in self.rows), default=math.nan, key=_nan_last)

    @property
    def passed(self) -> bool:
        return bool(self.rows) and all(row.error < self.tolerance for row in self.rows)

    def table(self) -> str:
        header = ("array", "shape", "relative error", "status")
        cells = [(row.name, str(row.shape), f"{row.error:.1e}", row.status(self.tolerance))
                 for row in self.rows]
        widths = [max(len(line[i]) for line in [header, *cells]) for i in range(4)]
        lines = ["  ".join(text.ljust(width) for text, width in zip(line, widths)).rstrip()
                 for line in [header, tuple("-" * width for width in widths), *cells]]
        notes = [f"note: {row.note}" for row in self.rows if row.note and not row.kinks]
        return "\n".join([f"Gradient check in float64, central differences with eps = {self.eps:g}",
                          *lines, *notes, *(f"warning: {text}" for text in self.warnings),
                          self.verdict()])

    def verdict(self) -> str:
        """One line: passed, or which array is worst and how bad that is."""
        if self.passed:
            return f"passed: every relative error is below {self.tolerance:g}"
        worst = max(self.rows, key=lambda row: _nan_last(row.error))
        meaning = ("the backward is almost certainly wrong" if not worst.error < WRONG_THRESHOLD
                   else "suspect: look closer")
        return (f"FAILED: worst relative error {worst.error:.2g} in {worst.name} "
                f"(ok < {self.tolerance:g} <= suspect < {WRONG_THRESHOLD:g} <= WRONG): {meaning}")

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"GradientCheckResult(passed={self.passed}, worst_error={self.worst_error:.3g})"


def _nan_last(error: float) -> float:
    """Sort key: NaN (nothing measurable) counts as the worst error."""
    return math.inf if math.isnan(error) else error


def gradient_check(target, X, y=None, *, eps: float = 1e-6, tolerance: float = PASS_TOLERANCE,
                   seed: int = 0) -> GradientCheckResult:
    """Compare ``backward`` with central differences; returns a result to print or assert on.

    ``gradient_check(model, X, y)``: a whole network (an ``MLP``, or any object with
    ``forward(X)``, ``loss(y)``, ``backward()`` and ``parameters()``): the loss's gradient
    for every parameter. X is (n, n_features); y what ``loss`` takes (0/1 or class indices).

    ``gradient_check(layer, X)``: one layer, yours or the library's (``forward(X)``,
    ``backward(grad_output)`` returning dL/dX, and ``parameters()`` giving (value, gradient)
    pairs; an activation needs no ``parameters``). The loss is a fixed random projection of
    the output, L = sum(R * forward(X)), so ``backward`` receives dL/doutput = R; the
    parameters' gradients and the input gradient (what ``backward`` returns) are checked.

    Works on a float64 copy (the object given is not changed). See the module docstring for
    the thresholds and the handling of kinks.
    """
    if not (hasattr(target, "forward") and hasattr(target, "backward")):
        raise TypeError(f"gradient_check needs an object with forward and backward methods, "
                        f"got {type(target).__name__}")
    eps, tolerance = check_positive_float(eps, "eps"), check_positive_float(tolerance, "tolerance")
    if y is None and isinstance(target, MLP):
        raise TypeError("an MLP is checked through its loss: gradient_check(model, X, y)")
    X = np.array(X, dtype=np.float64)  # a copy: the input row perturbs it in place
    if X.size == 0:
        raise ValueError(f"X has no elements (shape {X.shape}): give at least one sample")
    if y is None:
        rows = _check_layer(float64_copy(target), X, eps, tolerance, np.random.default_rng(seed))
    else:
        rows = _check_network(target, X, y, eps, tolerance)
    return GradientCheckResult(rows, tolerance, eps)


def _check_network(model, X: np.ndarray, y, eps: float, tolerance: float) -> list[GradientRow]:
    """Rows for every parameter of a network, from its own loss."""
    if isinstance(model, MLP):
        names = list(model.state_dict())
        clone = type(model)(**{**model.config(), "dtype": "float64"})
        clone.load_state_dict(model.state_dict())
    else:
        clone = float64_copy(model)
        names = None

    def loss() -> float:
        clone.forward(X)
        return float(clone.loss(y))

    base = loss()
    clone.backward()
    pairs = list(clone.parameters())
    names = names or _parameter_names(clone, pairs)
    gradients = [_copy_or_none(gradient) for _, gradient in pairs]
    return [_compare(name, gradient, value, loss, base, eps, tolerance)
            for name, (value, _), gradient in zip(names, pairs, gradients)]


def _check_layer(layer, X: np.ndarray, eps: float, tolerance: float, rng: np.random.Generator) -> list[GradientRow]:
    """Rows for every parameter of one layer and for its input, with L = sum(R * forward(X))."""
    if hasattr(layer, "needs_input_grad"):
        layer.needs_input_grad = True  # the library's first layer skips dL/dX unless asked
    projection = rng.standard_normal(np.shape(layer.forward(X)))

    def loss() -> float:
        return float(np.sum(projection * layer.forward(X)))

    base = loss()
    grad_input = _copy_or_none(layer.backward(projection.copy()))
    pairs = list(layer.parameters()) if hasattr(layer, "parameters") else []
    gradients = [_copy_or_none(gradient) for _, gradient in pairs]
    rows = [_compare(name, gradient, value, loss, base, eps, tolerance)
            for name, (value, _), gradient in zip(_parameter_names(layer, pairs), pairs, gradients)]
    return rows + [_compare("input", grad_input, X, loss, base, eps, tolerance)]


def _compare(name: str, analytic, value: np.ndarray, loss, base: float, eps: float,
             tolerance: float) -> GradientRow:
    """One array's row: its analytic gradient against finite differences."""
    shape = np.shape(value)
    if analytic is None or np.shape(analytic) != shape:
        found = "is None" if analytic is None else f"has shape {np.shape(analytic)}"
        return GradientRow(name, shape, math.inf, note=f"the gradient of {name} {found}, "
                                                        f"expected shape {shape}")
    plus, minus = perturbed_losses(loss, value, eps)
    error, kinks = _error_with_kinks(analytic, plus, minus, base, eps, tolerance)
    note = ""
    if kinks:
        where = "lie within eps of" if name == "input" else "move a value across"
        note = (f"{kinks} of {np.size(value)} elements of {name} {where} a kink (as a ReLU's input "
                f"at 0): there a central difference is no derivative, so the gradient is compared "
                f"with the one-sided slopes")
    return GradientRow(name, shape, error, kinks, note)


def _error_with_kinks(analytic, plus, minus, base: float, eps: float, tolerance: float) -> tuple[float, int]:
    """The relative error, and how many elements lie at a kink that explains their mismatch.

    Where the one-sided slopes differ by more than the tolerance allows (a kink, or a strong
    curvature), the analytic gradient is measured against the interval between them.
    """
    numeric = (plus - minus) / (2 * eps)
    scale = max(float(np.max(np.abs(analytic) + np.abs(numeric))), 1e-12)
    right, left = (plus - base) / eps, (base - minus) / eps
    rounding = 100 * np.finfo(np.float64).eps * max(abs(base), 1.0) / eps  # of L, seen in a slope
    bends = np.abs(right - left) > tolerance * scale + rounding
    outside = np.maximum(np.minimum(left, right) - analytic, analytic - np.maximum(left, right))
    mismatch = np.abs(analytic - numeric)
    deviation = np.where(bends, np.maximum(outside, 0.0), mismatch)
    explained = bends & (mismatch > tolerance * scale)
    return float(np.max(deviation)) / scale, int(np.sum(explained))


def _copy_or_none(array):
    """A float64 copy of a gradient (backward may reuse its arrays), or None."""
    return None if array is None else np.array(array, dtype=np.float64)


def _parameter_names(owner, pairs) -> list[str]:
    """Each parameter's attribute path (``weights``, ``layers[0].W``...), else ``parameter <i>``."""
    paths: dict[int, str] = {}
    _collect_array_paths(owner, "", paths, depth=4)
    return [paths.get(id(value), f"parameter {index}") for index, (value, _) in enumerate(pairs)]


def _collect_array_paths(value, path: str, paths: dict, depth: int) -> None:
    """Map id(array) -> the first attribute path found to it, through containers and layer-like objects."""
    if isinstance(value, np.ndarray):
        paths.setdefault(id(value), path)
    elif depth and isinstance(value, (list, tuple, dict)):
        for key, item in (value.items() if isinstance(value, dict) else enumerate(value)):
            _collect_array_paths(item, f"{path}[{key!r}]", paths, depth - 1)
    elif depth and hasattr(value, "forward") and hasattr(value, "__dict__"):
        for name, item in vars(value).items():
            _collect_array_paths(item, f"{path}.{name}" if path else name, paths, depth - 1)


def float64_copy(obj):
    """A deep copy of ``obj`` whose floating-point arrays are float64.

    Converted: array attributes, arrays inside lists, tuples and dicts, and inside sub-objects
    that have a ``forward`` method (a network's layers). Arrays shared by two attributes stay
    shared, so ``parameters()`` still returns what ``forward`` reads.
    """
    clone = copy.deepcopy(obj)
    _convert_attributes(clone, {})
    return clone


def _convert_attributes(obj, memo: dict) -> None:
    for name, value in vars(obj).items():
        setattr(obj, name, _as_float64(value, memo))


def _as_float64(value, memo: dict):
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating):
        if id(value) not in memo:
            memo[id(value)] = (value, value.astype(np.float64))  # the pair keeps value alive
        return memo[id(value)][1]
    if isinstance(value, (list, tuple)):
        return type(value)(_as_float64(item, memo) for item in value)
    if isinstance(value, dict):
        return {key: _as_float64(item, memo) for key, item in value.items()}
    if hasattr(value, "forward") and hasattr(value, "__dict__") and id(value) not in memo:
        memo[id(value)] = (value, value)
        _convert_attributes(value, memo)
    return value
