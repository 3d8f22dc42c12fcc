"""Stance model speed and int8/fp32 agreement figures.

    python benchmarks/stance_speed.py --data ../shared/data/nli/nli_pairs.jsonl.gz [--pairs 2000] [--model DIR]

Scores N pairs (a seeded sample) of the held-out slice (rebuilt from the model's training config, so no file is
needed) three ways and prints ms per pair: all in one call at batch 16 (length-sorted, little padding); in calls
of RERANK_POOL pairs, one pair a run, as a check scores its candidates; one pair a call. Also the mean pair length in
tokens. One warm-up pass is not timed.

It also prints the floor this CPU sets: the model's arithmetic for a pair of the mean length (its constant-weight
MatMuls plus attention) over the fastest rate measured here for a transformer-shaped product ([16 pairs · tokens,
384] × [384, 1536]) in onnxruntime on all cores, fp32 MatMul and int8 MatMulInteger. No run of the model on this
machine can beat it.
"""

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from factdesk.index.check import RERANK_POOL
from factdesk.index.onnxrt import available_cores, session
from factdesk.index.stance.model import SHIPPED, StanceModel
from factdesk.training.stance_data import load_pairs, split_holdout


def flops_per_pair(path: Path, tokens: float) -> float:
    """Multiply-adds × 2 of one pair: every MatMul against a constant weight, plus attention's two products."""
    graph = onnx.load(str(path)).graph
    shapes = {t.name: list(t.dims) for t in graph.initializer}
    per_token = 0
    layers = set()
    for node in graph.node:
        if node.op_type in ("MatMul", "MatMulIntegerToFloat", "MatMulInteger") and node.input[1] in shapes:
            k, n = shapes[node.input[1]]
            per_token += 2 * k * n
        if node.name.startswith("/encoder/encoder/layer."):
            layers.add(node.name.split("/")[3])
    hidden = shapes["encoder.embeddings.LayerNorm.weight"][0]
    return per_token * tokens + len(layers) * 2 * 2 * tokens * tokens * hidden


def best_rate(rows: int, threads: int, repeat: int = 30) -> dict[str, float]:
    """GFLOP/s of a [rows, 384] × [384, 1536] product in onnxruntime: fp32 MatMul and uint8 MatMulInteger."""
    rng = np.random.default_rng(0)
    rates = {}
    for name, dtype, op in (("fp32", TensorProto.FLOAT, "MatMul"), ("int8", TensorProto.UINT8, "MatMulInteger")):
        np_type = np.float32 if dtype == TensorProto.FLOAT else np.uint8
        weight = (rng.random((384, 1536)) * 100).astype(np_type)
        out_type = TensorProto.FLOAT if dtype == TensorProto.FLOAT else TensorProto.INT32
        graph = helper.make_graph(
            [helper.make_node(op, ["x", "w"], ["y"])],
            name,
            [helper.make_tensor_value_info("x", dtype, [rows, 384])],
            [helper.make_tensor_value_info("y", out_type, [rows, 1536])],
            [numpy_helper.from_array(weight, "w")],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{name}.onnx"
            onnx.save(model, str(path))
            run = session(path, threads)
        x = (rng.random((rows, 384)) * 100).astype(np_type)
        run.run(None, {"x": x})
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            run.run(None, {"x": x})
            best = min(best, time.perf_counter() - started)
        rates[name] = 2 * rows * 384 * 1536 / best / 1e9
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the NLI pairs the model was trained from")
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, help="single-threaded runs side by side (default: one per core)")
    parser.add_argument("--model", type=Path, default=SHIPPED, help="stance model directory (default: shipped)")
    args = parser.parse_args()
    config = json.loads((args.model / "metrics.json").read_text())["config"]
    _, held = split_holdout(load_pairs(args.data), config["holdout"], config["seed"])
    random.Random(0).shuffle(held)  # the slice is ordered by source; a seeded sample mixes their lengths
    pairs = [(p["premise"], p["hypothesis"]) for p in held[: args.pairs]]
    model = StanceModel(args.model, threads=args.threads)
    model.predict(pairs[:64], batch_size=args.batch_size)
    started = time.perf_counter()
    model.predict(pairs, batch_size=args.batch_size)
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    for start in range(0, len(pairs), RERANK_POOL):
        model.predict(pairs[start : start + RERANK_POOL])
    in_checks = time.perf_counter() - started
    singles = pairs[: max(1, len(pairs) // 4)]
    started = time.perf_counter()
    for pair in singles:
        model.predict([pair], batch_size=1)
    single = time.perf_counter() - started
    tokens = [len(e.ids) for e in model.tokenize(pairs)]
    mean_tokens = sum(tokens) / len(tokens)
    flops = flops_per_pair(args.model / "model.onnx", mean_tokens)
    rates = best_rate(args.batch_size * round(mean_tokens), available_cores())
    print(
        json.dumps(
            {
                "pairs": len(pairs),
                "batch_size": args.batch_size,
                "ms_per_pair": round(1000 * elapsed / len(pairs), 3),
                "pairs_per_s": round(len(pairs) / elapsed, 1),
                f"ms_per_pair_in_calls_of_{RERANK_POOL}": round(1000 * in_checks / len(pairs), 3),
                "ms_per_pair_alone": round(1000 * single / len(singles), 3),
                "mean_tokens": round(mean_tokens, 1),
                "gflop_per_pair": round(flops / 1e9, 3),
                "cpu_gflop_s": {name: round(rate, 1) for name, rate in rates.items()},
                "floor_ms_per_pair": round(1000 * flops / 1e9 / max(rates.values()), 2),
                "model": args.model.name,
                "model_mb": round((args.model / "model.onnx").stat().st_size / 2**20, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
