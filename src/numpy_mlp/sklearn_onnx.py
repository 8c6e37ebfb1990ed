"""skl2onnx's converter for ``numpy_mlp.sklearn``'s estimators: ``skl2onnx.to_onnx`` then exports
them, alone or inside a scikit-learn Pipeline, with the network nodes of ``onnx_export``.

Needs the extra: pip install numpy-mlp[onnx] (onnx, skl2onnx; scikit-learn).
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
from skl2onnx.common.utils_classifier import get_label_classes

from .onnx_export import MIN_OPSET, Graph, emit_network, emit_target_scaling, tensor
from .sklearn import MLPClassifier, MLPRegressor


def register_skl2onnx() -> None:
    """Teach skl2onnx to convert ``numpy_mlp.sklearn.MLPClassifier`` and ``MLPRegressor``, alone
    or in a Pipeline (a multi-label classifier is not converted).

    Call it once before ``skl2onnx.to_onnx``; calling it again changes nothing. (It is not
    done on importing ``numpy_mlp.sklearn``: importing skl2onnx takes seconds, which every
    scikit-learn user would pay.) As for scikit-learn's classifiers, the outputs are ``label``
    and ``probabilities`` (N, n_classes) with ``options={MLPClassifier: {"zipmap": False}}``,
    else skl2onnx's ZipMap of them (which takes float32 probabilities only: a float64 X needs
    zipmap False). A regressor's output is ``variable`` (N, n_targets), as for scikit-learn's.
    """
    update_registered_converter(MLPClassifier, "NumpyMlpMLPClassifier", calculate_linear_classifier_output_shapes,
                                convert_sklearn_classifier,
                                options={"zipmap": [True, False, "columns"], "nocl": [False, True]})
    update_registered_converter(MLPRegressor, "NumpyMlpMLPRegressor", calculate_regressor_output_shapes,
                                convert_sklearn_regressor)


class SklearnGraph(Graph):
    """A Graph whose nodes and constants go into skl2onnx's container, named by its scope."""

    def __init__(self, scope, container):
        super().__init__()
        self.scope, self.container = scope, container
        if container.target_opset < MIN_OPSET:
            raise ValueError(f"the numpy-mlp converter needs target_opset >= {MIN_OPSET}, "
                             f"got {container.target_opset}")

    def name(self, hint: str) -> str:
        return self.scope.get_unique_variable_name(hint)

    def constant(self, hint: str, array: np.ndarray) -> str:
        name = self.name(hint)
        proto = tensor(array, name)
        # The container copies only raw_data out of a TensorProto; strings are given as a list.
        content = list(proto.string_data) if proto.data_type == TensorProto.STRING else proto
        self.container.add_initializer(name, proto.data_type, list(proto.dims), content)
        return name

    def node(self, op_type: str, inputs: list[str], output: str | None = None, **attributes) -> str:
        output = output or self.name(op_type.lower())
        self.container.add_node(op_type, inputs, [output], name=self.scope.get_unique_operator_name(op_type),
                                **attributes)
        return output


def convert_sklearn_classifier(scope, operator, container) -> None:
    """skl2onnx converter: the estimator's network, then ``label`` and ``probabilities`` (N, n_classes)
    as its ``predict`` and ``predict_proba`` give them (two classes: the columns [1 - p, p])."""
    estimator = operator.raw_operator
    model = estimator.model_
    if model.output == "sigmoid" and model.n_outputs > 1:
        raise ValueError("a multi-label MLPClassifier has no skl2onnx conversion; export its model_ "
                         "with numpy_mlp.onnx_export.to_onnx instead")
    graph = SklearnGraph(scope, container)
    logits = emit_network(graph, model, sklearn_features(graph, operator, model))
    if model.output == "softmax":
        probabilities = graph.node("Softmax", [logits], axis=1)
    else:
        positive = graph.node("Sigmoid", [logits])
        negative = graph.node("Sub", [graph.constant("one", np.array(1, dtype=model.dtype)), positive])
        probabilities = graph.node("Concat", [negative, positive], axis=1)
    indices = graph.node("ArgMax", [probabilities], axis=1, keepdims=0)
    classes = sklearn_class_labels(get_label_classes(scope, estimator))  # indices with option nocl
    graph.node("Gather", [graph.constant("classes", classes), indices], operator.outputs[0].full_name, axis=0)
    # The probabilities have the type skl2onnx declared (that of X): a cast, a no-op when it is the model's.
    graph.node("Cast", [probabilities], operator.outputs[1].full_name, to=element_type(operator.outputs[1]))


def convert_sklearn_regressor(scope, operator, container) -> None:
    """skl2onnx converter: the estimator's network, then its values (N, n_targets) as ``predict``
    gives them, in the type skl2onnx declared (that of X)."""
    model = operator.raw_operator.model_
    graph = SklearnGraph(scope, container)
    values = emit_target_scaling(graph, model, emit_network(graph, model, sklearn_features(graph, operator, model)))
    graph.node("Cast", [values], operator.outputs[0].full_name, to=element_type(operator.outputs[0]))


def calculate_regressor_output_shapes(operator) -> None:
    """The regressor's output: (N, n_targets), of X's float type (skl2onnx's own calculator
    reads a linear model's ``coef_``, which an MLP does not have)."""
    input_type = operator.inputs[0].type
    float_type = type(input_type) if isinstance(input_type, (FloatTensorType, DoubleTensorType)) else FloatTensorType
    operator.outputs[0].set_type(float_type([operator.inputs[0].get_first_dimension(),
                                             operator.raw_operator.n_outputs_]))

def sklearn_features(graph: SklearnGraph, operator, model) -> str:
    """The converter's input, cast to the model's dtype when it differs, as the estimator casts X."""
    features, float_type = operator.inputs[0].full_name, helper.np_dtype_to_tensor_dtype(np.dtype(model.dtype))
    if element_type(operator.inputs[0]) == float_type:
        return features
    return graph.node("Cast", [features], to=float_type)


def sklearn_class_labels(classes: np.ndarray) -> np.ndarray:
    """The labels as skl2onnx's classifiers output them: strings, or int64 for numbers (scikit-learn
    takes floats as class labels only when they are whole numbers)."""
    return classes.astype(str) if classes.dtype.kind in "USO" else classes.astype(np.int64)


def element_type(variable) -> int:
    """The ONNX element type of a skl2onnx Variable."""
    return variable.type.to_onnx_type().tensor_type.elem_type
