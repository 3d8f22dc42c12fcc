"""int8 ONNX models for the encoder and the stance models, without making a text's result depend on its batch.

Two rewrites of an fp32 export, and one of their result at load:
- `quantize_weights`: int8 weights read back through `DequantizeLinear` (onnxruntime folds them into fp32
  constants at load), fp32 arithmetic. A quarter of the file size; the embedding tables use it.
- `quantize_per_token`: int8 arithmetic for every MatMul with a constant weight. The activations are quantised
  per token (each row's own scale, computed at run time), not per tensor as onnxruntime's `quantize_dynamic`
  does: a token's result never depends on the other texts in its batch or on padding, and per-row scales lose
  less than one scale for the whole batch. About 1.4–1.6× the speed of fp32 MatMuls on an AVX2 CPU.
- `signed_weights`: the same integers as int8 weights, for a CPU that multiplies uint8 × int8 exactly.
"""

from collections.abc import Collection

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# Weights and activations are both stored as uint8 with zero point 128 (±127 steps around it). With int8
# weights onnxruntime's AVX2 kernel (no VNNI) multiplies with an instruction that saturates when two adjacent
# products exceed 2^15, which cost the stance model agreement with fp32; the uint8 × uint8 kernel never saturates,
# at about the same speed (docs/benchmarks.md).
LEVELS = 127


def _quantize(weight: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    peak = np.abs(weight).max(axis=1 - axis)
    scale = np.where(peak > 0, peak / LEVELS, 1.0).astype(np.float32)
    shape = (1, -1) if axis == 1 else (-1, 1)
    quantized = np.clip(np.rint(weight / scale.reshape(shape)), -LEVELS, LEVELS).astype(np.int8)
    return quantized, scale


def _replace_initializers(graph: onnx.GraphProto, new: list[onnx.TensorProto]) -> None:
    used = {name for node in graph.node for name in node.input}
    kept = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept + new)


def quantize_weights(
    source: str, target: str, min_elements: int = 4096, ops: Collection[str] = ("MatMul", "Gather")
) -> int:
    """Rewrite `source` into `target` with int8 weights, fp32 arithmetic; returns how many weights were quantised.

    MatMul weights (K, N) per output column, Gather tables (V, D) per row (one scale per token embedding).
    """
    model = onnx.load(source)
    count = _int8_weights(model, ops, min_elements)
    onnx.checker.check_model(model)
    onnx.save(model, target)
    return count


def _int8_weights(model: onnx.ModelProto, ops: Collection[str], min_elements: int = 4096) -> int:
    """`quantize_weights` on a loaded model, in place."""
    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    targets: dict[str, int] = {}  # initializer name → axis of its scales
    for node in graph.node:
        if node.op_type == "MatMul" and "MatMul" in ops and node.input[1] in initializers:
            targets.setdefault(node.input[1], 1)
        elif node.op_type == "Gather" and "Gather" in ops and node.input[0] in initializers:
            targets.setdefault(node.input[0], 0)
    renamed: dict[str, str] = {}
    new_nodes = []
    for name, axis in targets.items():
        weight = numpy_helper.to_array(initializers[name])
        if weight.ndim != 2 or weight.size < min_elements or weight.dtype != np.float32:
            continue
        quantized, scale = _quantize(weight, axis)
        graph.initializer.remove(initializers[name])
        graph.initializer.extend(
            [
                numpy_helper.from_array(quantized, f"{name}_q"),
                numpy_helper.from_array(scale, f"{name}_scale"),
                numpy_helper.from_array(np.zeros_like(scale, dtype=np.int8), f"{name}_zero"),
            ]
        )
        new_nodes.append(
            helper.make_node(
                "DequantizeLinear",
                [f"{name}_q", f"{name}_scale", f"{name}_zero"],
                [f"{name}_dq"],
                name=f"{name}_dequantize",
                axis=axis,
            )
        )
        renamed[name] = f"{name}_dq"
    for node in graph.node:
        for i, value in enumerate(node.input):
            if value in renamed:
                node.input[i] = renamed[value]
    nodes = new_nodes + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    return len(renamed)


def quantize_per_token(source: str, target: str, tables: bool = False) -> int:
    """Rewrite `source` into `target` with int8 MatMuls, activations scaled per token; returns how many.

    For y = x · W (x: [..., K], W: [K, N] constant), with s = max |x| over K / 127 for each token:
        q = uint8(x / s + 128.5)          (round to nearest, zero point 128)
        y = MatMulIntegerToFloat(q, W8, 1, w_scale, 128, 128) · s
    W8 holds W per output column, symmetric, as uint8 around 128. The quantisation of an input shared by several
    MatMuls (attention's query, key and value) is computed once. `tables` also stores the embedding tables as
    int8 weights (see `quantize_weights`).
    """
    model = onnx.load(source)
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    if opset >= 18:  # ReduceMax takes its axes as an input from opset 18 on
        raise ValueError(f"opset {opset} models are not supported; export with opset_version=17")
    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    new: list[onnx.TensorProto] = [
        numpy_helper.from_array(np.array(1e-8, np.float32), "pt_eps"),
        numpy_helper.from_array(np.array(LEVELS, np.float32), "pt_levels"),
        numpy_helper.from_array(np.array(128.5, np.float32), "pt_shift"),
        numpy_helper.from_array(np.array(128, np.uint8), "pt_zero"),
        numpy_helper.from_array(np.array(1.0, np.float32), "pt_one"),
    ]
    nodes: list[onnx.NodeProto] = []
    quantized_inputs: dict[str, str] = {}  # fp32 activation → its per-token quantisation prefix
    count = 0
    for node in graph.node:
        weight = initializers.get(node.input[1]) if node.op_type == "MatMul" else None
        if weight is None or len(weight.dims) != 2:
            nodes.append(node)
            continue
        x = node.input[0]
        if x not in quantized_inputs:
            p = quantized_inputs[x] = f"{x}_token"
            nodes += [
                helper.make_node("Abs", [x], [f"{p}_abs"]),
                helper.make_node("ReduceMax", [f"{p}_abs"], [f"{p}_peak"], axes=[-1], keepdims=1),
                helper.make_node("Max", [f"{p}_peak", "pt_eps"], [f"{p}_peak_eps"]),
                helper.make_node("Div", [f"{p}_peak_eps", "pt_levels"], [f"{p}_scale"]),
                helper.make_node("Div", [x, f"{p}_scale"], [f"{p}_scaled"]),
                helper.make_node("Add", [f"{p}_scaled", "pt_shift"], [f"{p}_shifted"]),
                # Cast truncates; the +0.5 in pt_shift makes it round to nearest (all values are positive)
                helper.make_node("Cast", [f"{p}_shifted"], [f"{p}_u8"], to=TensorProto.UINT8),
            ]
        p = quantized_inputs[x]
        q, scale = _quantize(numpy_helper.to_array(weight), axis=1)
        q = (q.astype(np.int16) + 128).astype(np.uint8)
        w = f"{node.output[0]}_w"  # output names are unique in a graph
        new += [numpy_helper.from_array(q, f"{w}_q"), numpy_helper.from_array(scale, f"{w}_scale")]
        nodes += [
            helper.make_node(
                "MatMulIntegerToFloat",
                [f"{p}_u8", f"{w}_q", "pt_one", f"{w}_scale", "pt_zero", "pt_zero"],
                [f"{w}_columns"],
                domain="com.microsoft",
            ),
            helper.make_node("Mul", [f"{w}_columns", f"{p}_scale"], [node.output[0]]),
        ]
        count += 1
    del graph.node[:]
    graph.node.extend(nodes)
    _replace_initializers(graph, new)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    if tables:
        _int8_weights(model, ("Gather",))
    onnx.checker.check_model(model)
    onnx.save(model, target)
    return count


def signed_weights(model: onnx.ModelProto) -> int:
    """In place: the uint8 weights (zero point 128) of `quantize_per_token`'s MatMuls as int8 with zero point 0;
    returns how many.

    Each product is the same integer, so a kernel that adds uint8 × int8 products without saturating gives the
    same results bit for bit, and onnxruntime's VNNI kernels run uint8 × int8 faster than uint8 × uint8
    (docs/benchmarks.md).
    Only for such a kernel (see `onnxrt.exact_signed_kernel`): the others saturate (see LEVELS).
    """
    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    uses: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            uses.setdefault(name, []).append(node)

    def unsigned_weight(node: onnx.NodeProto) -> bool:
        if node.op_type != "MatMulIntegerToFloat" or len(node.input) < 6:
            return False
        weight, zero = initializers.get(node.input[1]), initializers.get(node.input[5])
        return (
            weight is not None
            and weight.data_type == TensorProto.UINT8
            and zero is not None
            and zero.data_type == TensorProto.UINT8
            and numpy_helper.to_array(zero).size == 1
            and int(numpy_helper.to_array(zero)) == 128
        )

    converted = [
        name
        for name, nodes in uses.items()
        if name in initializers and all(unsigned_weight(n) and n.input[1] == name for n in nodes)
    ]
    if not converted:
        return 0
    zero = numpy_helper.from_array(np.array(0, np.int8), "pt_zero_int8")
    while zero.name in initializers or any(zero.name in n.output for n in graph.node):
        zero.name += "_"
    graph.initializer.append(zero)
    for name in converted:
        weight = numpy_helper.to_array(initializers[name]).astype(np.int16) - 128
        initializers[name].CopyFrom(numpy_helper.from_array(weight.astype(np.int8), name))
        for node in uses[name]:
            node.input[5] = zero.name
    return len(converted)
