"""numpy-mlp export: a saved model as an ONNX file, for ONNX Runtime and the other ONNX tools."""

from __future__ import annotations

from ..network import load
from .options import note, positive_int


def add_export_command(commands) -> None:
    parser = commands.add_parser(
        "export", help="write a saved model as an ONNX file",
        description="Write a saved model as an ONNX file (standard operators), to run it in ONNX "
                    "Runtime from C#, Java, JavaScript, C++ or Python. The input X has the model's "
                    "dtype and shape (N, n_features); a classifier's outputs are probabilities and "
                    "label, as predict_proba and predict give them, and the stored standardisation is "
                    "part of the graph. Needs the extra: pip install numpy-mlp[onnx].")
    parser.add_argument("model", metavar="model.npz", help="a model saved by numpy-mlp")
    parser.add_argument("out", metavar="model.onnx", help="the ONNX file to write (replaced atomically)")
    parser.add_argument("--opset", type=positive_int, metavar="N",
                        help="the ONNX opset version, 13 or more (default: 17, which ONNX Runtime runs "
                             "from version 1.13 on)")
    parser.set_defaults(run=run_export)


def run_export(args) -> int:
    from ..onnx_export import OPSET, to_onnx  # needs the optional onnx package

    model = load(args.model)
    opset = OPSET if args.opset is None else args.opset
    proto = to_onnx(model, args.out, opset=opset)
    (graph_input,) = proto.graph.input
    outputs = ", ".join(output.name for output in proto.graph.output)
    note(f"{args.out} written: ONNX opset {opset}, input {graph_input.name} {model.dtype.name} "
         f"(N, {model.n_features}), outputs {outputs}")
    return 0
