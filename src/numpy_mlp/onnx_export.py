"""Export to ONNX: a trained MLP as a graph of standard operators, for any ONNX runtime.

The graph is the model's forward pass, at opset ``OPSET`` unless asked otherwise (13 at least):

    X (N, n_features)
      -> Sub(mean), Div(std)                       the stored standardisation, if any
      -> Gemm(W, b), then Relu | LeakyRelu(alpha) | Tanh | Sigmoid | Identity, ..., Gemm
                                                   the logits z (dropout is left out, as at inference)
      -> the head, whose outputs hold what ``predict_proba`` and ``predict`` return, shape for shape:
         one sigmoid output   probabilities (N,) = Sigmoid(z),  label (N,) = classes_[p >= threshold]
                              (the threshold choose_threshold stored, else 0.5)
         k sigmoid outputs    probabilities (N, k),             label (N, k) = int64 0/1 (multi-label)
         softmax              probabilities (N, k) = Softmax(z), label (N,) = classes_[ArgMax(p)]
         linear               prediction (N,) for one output, else (N, k) = z (z * std + mean
                              when the model standardised its targets)

X and every float in the graph have the model's dtype (float32, or float64 for a float64 model);
N is a dynamic batch dimension. A label is an index when ``classes_`` is None, else the class
itself (strings included), taken from a constant by ``Gather``. The feature names, when the model
knows them, are in the model's ``metadata_props`` under ``feature_names`` (a JSON list).

``numpy_mlp.sklearn_onnx.register_skl2onnx()`` teaches skl2onnx to convert the scikit-learn
estimators from the same network nodes. Needs the extra: pip install numpy-mlp[onnx].
"""

from __future__ import annotations

import json

import numpy as np

try:
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError as error:
    raise ImportError("ONNX export needs the onnx package; install it with: "
                      "pip install numpy-mlp[onnx]") from error

from . import __version__
from .files import atomic_write
from .layers import Dropout, Layer

#: the opset of exported graphs: ONNX Runtime runs it from version 1.13 on
OPSET = 17
#: the oldest opset with the operators' present forms (Softmax over one axis, Squeeze's axes as input)
MIN_OPSET = 13

ACTIVATION_OPERATORS = {"relu": "Relu", "leaky_relu": "LeakyRelu", "tanh": "Tanh", "sigmoid": "Sigmoid",
                        "identity": "Identity"}


def to_onnx(model, path=None, opset: int = OPSET) -> onnx.ModelProto:
    """The ONNX model of ``model`` (see the module docstring), checked by ``onnx.checker``;
    also written to ``path``, atomically, when one is given."""
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= newest:
        raise ValueError(f"opset must be an integer from {MIN_OPSET} to {newest} (the newest this onnx "
                         f"package knows), got {opset!r}")
    graph = Graph(reserved=("X", "probabilities", "label", "prediction"))
    emit_head(graph, model, emit_network(graph, model, "X"))
    float_type = helper.np_dtype_to_tensor_dtype(np.dtype(model.dtype))
    inputs = [helper.make_tensor_value_info("X", float_type, ["N", model.n_features])]
    graph_proto = helper.make_graph(graph.nodes, "numpy_mlp", inputs, declare_outputs(model),
                                    initializer=graph.initializers, doc_string=repr(model))
    opsets = [helper.make_opsetid("", opset)]
    # The oldest IR version that has the opset, so that older runtimes read the file too.
    proto = helper.make_model(graph_proto, opset_imports=opsets, producer_name="numpy-mlp",
                              producer_version=__version__, ir_version=helper.find_min_ir_version_for(opsets))
    if model.feature_names_ is not None:
        helper.set_model_props(proto, {"feature_names": json.dumps([str(name) for name in model.feature_names_])})
    onnx.checker.check_model(proto, full_check=True)
    if path is not None:
        atomic_write(path, lambda file: file.write(proto.SerializeToString()))
    return proto


class Graph:
    """The nodes and constants of a graph under construction, every value with a unique name."""

    def __init__(self, reserved=()):
        self.nodes, self.initializers = [], []
        self.used_names = set(reserved)

    def name(self, hint: str) -> str:
        """``hint``, or ``hint_2``, ``hint_3``... when taken."""
        name, count = hint, 1
        while name in self.used_names:
            count += 1
            name = f"{hint}_{count}"
        self.used_names.add(name)
        return name

    def constant(self, hint: str, array: np.ndarray) -> str:
        """The name of a new constant holding ``array``."""
        name = self.name(hint)
        self.initializers.append(tensor(array, name))
        return name

    def node(self, op_type: str, inputs: list[str], output: str | None = None, **attributes) -> str:
        """Add ``op_type`` applied to ``inputs``; returns its output's name (``output`` if given)."""
        output = output or self.name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=output, **attributes))
        return output


def tensor(array: np.ndarray, name: str) -> TensorProto:
    """A TensorProto of ``array``; text (``str``) arrays become ONNX strings."""
    array = np.asarray(array)
    if array.dtype.kind in "USO":
        array = array.astype(str).astype(object)  # object arrays of str: what from_array makes ONNX strings of
    return numpy_helper.from_array(array, name)


# -- the nodes, shared by to_onnx and the skl2onnx converter ----------------------------------

def emit_network(graph, model, features: str) -> str:
    """Nodes from the features (N, n_features) to the logits (N, n_outputs); returns the logits' name."""
    dtype = np.dtype(model.dtype)
    value = features
    if model.scaler is not None:
        value = graph.node("Sub", [value, graph.constant("scaler_mean", np.asarray(model.scaler.mean, dtype))])
        value = graph.node("Div", [value, graph.constant("scaler_std", np.asarray(model.scaler.std, dtype))])
    elif model.config().get("standardize"):
        raise ValueError("the model standardises its inputs but was never fitted: nothing to export")
    for layer in model.layers:
        if isinstance(layer, Layer):
            weights, bias = graph.constant("weights", layer.weights), graph.constant("bias", layer.bias)
            value = graph.node("Gemm", [value, weights, bias])
        elif not isinstance(layer, Dropout):  # dropout is the identity at inference
            value = emit_activation(graph, layer, value)
    return value


def emit_activation(graph, activation, value: str) -> str:
    """The ONNX operator of a hidden activation (LeakyReLU's negative slope as ``alpha``).

    ONNX stores ``alpha`` as a float32, so a float64 model's LeakyReLU differs from NumPy's by
    about 1e-8 of its value (0.01 in float32 is 0.0099999998); every other operator is exact.
    """
    if activation.name not in ACTIVATION_OPERATORS:
        raise ValueError(f"activation {activation.name!r} has no ONNX export; exportable: "
                         f"{sorted(ACTIVATION_OPERATORS)}")
    options = {"alpha": activation.config()["negative_slope"]} if activation.name == "leaky_relu" else {}
    return graph.node(ACTIVATION_OPERATORS[activation.name], [value], **options)


def emit_head(graph, model, logits: str) -> None:
    """The outputs ``probabilities`` and ``label``, or ``prediction`` (see the module docstring)."""
    if model.output == "linear":
        named_output(graph, model, emit_target_scaling(graph, model, logits), "prediction")
        return
    if model.output == "softmax":
        probabilities = graph.node("Softmax", [logits], "probabilities", axis=1)
        indices = graph.node("ArgMax", [probabilities], axis=1, keepdims=0)
    elif model.output == "sigmoid":
        probabilities = named_output(graph, model, graph.node("Sigmoid", [logits]), "probabilities")
        threshold = 0.5 if model.threshold_ is None else model.threshold_  # as predict decides
        cut = graph.constant("threshold", np.array(threshold, dtype=model.dtype))
        indices = graph.node("Cast", [graph.node("GreaterOrEqual", [probabilities, cut])], to=TensorProto.INT64)
    else:
        raise ValueError(f"output {model.output!r} has no ONNX export; exportable: linear, sigmoid, softmax")
    classes = model.classes_
    if classes is None:
        graph.node("Identity", [indices], "label")
    else:
        graph.node("Gather", [graph.constant("classes", classes), indices], "label", axis=0)


def emit_target_scaling(graph, model, logits: str) -> str:
    """A regressor's values: the logits z, or z * std + mean when it standardised its targets."""
    if model.target_scaler is None:
        return logits
    dtype = np.dtype(model.dtype)
    scaled = graph.node("Mul", [logits, graph.constant("target_std", np.asarray(model.target_scaler.std, dtype))])
    return graph.node("Add", [scaled, graph.constant("target_mean", np.asarray(model.target_scaler.mean, dtype))])


def named_output(graph, model, value: str, output: str) -> str:
    """``value`` as the graph output ``output``: (N, 1) squeezed to (N,) for a model of one output,
    as ``predict_proba`` and ``predict`` return it."""
    if model.n_outputs != 1:
        return graph.node("Identity", [value], output)
    return graph.node("Squeeze", [value, graph.constant("axis_1", np.array([1], dtype=np.int64))], output)


def declare_outputs(model) -> list[onnx.ValueInfoProto]:
    """The graph outputs' names, element types and shapes."""
    shape = ["N"] if model.n_outputs == 1 else ["N", model.n_outputs]
    float_type = helper.np_dtype_to_tensor_dtype(np.dtype(model.dtype))
    if model.output == "linear":
        return [helper.make_tensor_value_info("prediction", float_type, shape)]
    label_type = TensorProto.INT64 if model.classes_ is None else tensor(model.classes_, "classes").data_type
    label_shape = ["N"] if model.output == "softmax" else shape
    return [helper.make_tensor_value_info("probabilities", float_type, shape),
            helper.make_tensor_value_info("label", label_type, label_shape)]
