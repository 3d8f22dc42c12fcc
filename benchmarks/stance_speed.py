"""Stance model speed and int8/fp32 agreement figures.

    python benchmarks/stance_speed.py --data ../shared/data/nli/nli_pairs.jsonl.gz [--pairs 2000] [--model DIR]

Scores N pairs (a seeded sample) of the held-out slice (rebuilt from the model's training config, so no file is
needed) three ways and prints ms per pair: all in one call at batch 16 (length-sorted, little padding); in calls
of RERANK_POOL pairs, one pair a run, as a check scores its candidates; one pair a call. Also the mean pair length in
tokens. One warm-up pass is not timed.
"""

import argparse
import json
import random
import time
from pathlib import Path

from index.archive import RERANK_POOL
from index.stance.model import SHIPPED, StanceModel
from index.stance.train import load_pairs, split_holdout


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
    print(
        json.dumps(
            {
                "pairs": len(pairs),
                "batch_size": args.batch_size,
                "ms_per_pair": round(1000 * elapsed / len(pairs), 3),
                "pairs_per_s": round(len(pairs) / elapsed, 1),
                f"ms_per_pair_in_calls_of_{RERANK_POOL}": round(1000 * in_checks / len(pairs), 3),
                "ms_per_pair_alone": round(1000 * single / len(singles), 3),
                "mean_tokens": round(sum(tokens) / len(tokens), 1),
                "model": args.model.name,
                "model_mb": round((args.model / "model.onnx").stat().st_size / 2**20, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
