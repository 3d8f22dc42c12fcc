"""`factdesk train-stance`: train the NLI stance model and export it to ONNX (int8)."""

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from factdesk.index.errors import InvalidInput


def _per_source(option: str, values: Sequence[str], example: str) -> dict[str, int]:
    counts = {}
    for value in values:
        source, _, count = value.partition("=")
        if not source or not count.isdigit():
            raise InvalidInput(f"{option} {value}: expected SOURCE=N, e.g. {example}")
        counts[source] = int(count)
    return counts


def cmd_train_stance(args: argparse.Namespace) -> None:
    from factdesk.training.stance import TrainConfig, requantize, run

    for data in args.data:
        if not Path(data).is_file():
            raise InvalidInput(f"{data}: no such file")
    if args.requantize:
        if not (Path(args.out) / "model-fp32.onnx").is_file() or not (Path(args.out) / "metrics.json").is_file():
            raise InvalidInput(f"{args.out}: no trained model (model-fp32.onnx and metrics.json) to quantise")
        covidfact = Path(args.covidfact) if args.covidfact else None
        metrics = requantize(Path(args.out), args.quantize, [Path(d) for d in args.data], covidfact)
        print(
            json.dumps(
                {"heldout_int8": metrics["heldout_int8"]["overall"], "agreement": metrics["int8_fp32_agreement"]}
            )
        )
        return
    if args.init and not (Path(args.init) / "model.onnx").is_file():
        raise InvalidInput(f"{args.init}: no stance model (model.onnx) to start from")
    if args.base and not (
        (Path(args.base) / "model.onnx").is_file() and (Path(args.base) / "tokenizer.json").is_file()
    ):
        raise InvalidInput(f"{args.base}: no ONNX encoder (model.onnx and tokenizer.json) to start from")
    if args.focus and not (args.teacher and args.init):
        raise InvalidInput("--focus needs a --teacher and an --init model: it trains on what they read apart")
    if args.focus < 0 or args.focus_repeat < 1:
        raise InvalidInput("--focus must be ≥ 0 and --focus-repeat ≥ 1")
    if args.augment < 0:
        raise InvalidInput("--augment must be ≥ 0")
    if args.augment and not args.teacher:
        raise InvalidInput("--augment needs a --teacher: the edited pairs have no other label")
    if args.init and args.base:
        raise InvalidInput("--base does not go with --init: the model goes on from the network it has")
    # every option named as a TrainConfig field is that field; the paths and per-source counts are read first
    given = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if hasattr(args, f.name)}
    named = ("out", "covidfact", "teacher", "init", "base")
    paths = {name: Path(given[name]) if given[name] else None for name in named}
    config = TrainConfig(
        **given
        | paths
        | {
            "data": [Path(d) for d in args.data],
            "cap": _per_source("--cap", args.cap, "fnc1_test=3000"),
            "repeat": _per_source("--repeat", args.repeat, "fever_symmetric=2"),
        }
    )
    run(config, log=lambda m: print(m, file=sys.stderr))


def add_train_stance(sub: Any) -> None:
    p = sub.add_parser(
        "train-stance",
        help="train the NLI stance model and export it to ONNX (int8)",
        description="Train the 3-way cross-encoder from all-MiniLM-L6-v2 on NLI pairs, evaluate on a "
        "held-out slice (and COVID-Fact), export int8 ONNX + model card into --out.",
    )
    p.add_argument(
        "--data",
        required=True,
        nargs="+",
        action="extend",
        help="NLI pairs, one or more files (.jsonl or .jsonl.gz with premise, hypothesis, label, source); a label "
        "of not_entailment (two-way data) is trained on P(neutral) + P(contradiction)",
    )
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--covidfact", help="COVID-Fact dev directory (claims.jsonl) for a two-way evaluation")
    p.add_argument("--epochs", type=float, default=2.0)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=8e-5)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument(
        "--holdout",
        type=int,
        default=3600,
        help="held-out pairs of the first --data file (stratified by source and label)",
    )
    p.add_argument(
        "--holdout-more",
        type=int,
        default=4000,
        help="held-out pairs of each further --data file (the same share of every source; pairs that share a "
        "premise or hypothesis held out together)",
    )
    p.add_argument("--synthetic", type=int, default=8000, help="rule-edited news pairs added to training")
    p.add_argument(
        "--news-edits",
        type=int,
        default=0,
        help="pairs of the edits news claims make (antonyms, direction, synonyms, reported speech) added to training",
    )
    p.add_argument(
        "--news-clauses",
        type=float,
        default=0.0,
        help="share of the news edits' swaps whose hypothesis is only the edited clause, as short as a real claim",
    )
    p.add_argument(
        "--news-same-name",
        type=float,
        default=0.0,
        help="share of the news edits' neutral pairs made of two sentences that name the same person or place",
    )
    p.add_argument(
        "--news-numbers",
        type=float,
        default=0.0,
        help="share of the news edits' entailments that round and hedge a figure (6.96 million → about 7 million) "
        "and of their neutral pairs that give another year's figure",
    )
    p.add_argument(
        "--word-swaps",
        type=int,
        default=0,
        help="pairs of a news sentence against itself with one content word replaced (not entailed) or its clause "
        "unedited (entailed), added to training; cut to the clause at the rate --news-clauses",
    )
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--max-minutes", type=float, help="shorten the schedule to fit this training time")
    p.add_argument("--limit", type=int, help="train on the first N pairs only (smoke runs)")
    p.add_argument("--max-steps", type=int)
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument(
        "--layers",
        type=int,
        help="keep this many encoder layers (evenly spaced) of the base or of the --init network: a smaller, faster "
        "model",
    )
    p.add_argument("--teacher", help="a trained stance model directory to distil from (its probabilities)")
    p.add_argument("--distill", type=float, default=0.5, help="share of the loss that follows the teacher")
    p.add_argument(
        "--focus",
        type=int,
        default=0,
        metavar="N",
        help="with --teacher and --init: train on N training pairs drawn at random, and --focus-repeat times over "
        "those the teacher labels right and the --init model does not (both score the draw first)",
    )
    p.add_argument("--focus-repeat", type=int, default=3, help="times over for --focus's pairs")
    p.add_argument(
        "--augment",
        type=int,
        default=0,
        metavar="N",
        help="with --teacher: N copies of training pairs with one content word of the hypothesis or premise "
        "replaced, trained on the teacher's probabilities alone",
    )
    p.add_argument(
        "--init",
        help="go on training a trained stance model directory (its model-fp32.onnx where the run kept one, else "
        "its model.onnx) instead of starting from the base encoder; keep --seed and --holdout of its run, or its "
        "held-out slice is trained on",
    )
    p.add_argument(
        "--base",
        help="start from the BERT-family encoder of this ONNX export directory (model.onnx, int8 or fp32, and its "
        "tokenizer.json; config.json if there is one) instead of all-MiniLM-L6-v2; a pooler or head is dropped",
    )
    p.add_argument(
        "--cap",
        action="append",
        default=[],
        metavar="SOURCE=N",
        help="train on at most N pairs of SOURCE (repeatable), e.g. fnc1_test=3000",
    )
    p.add_argument(
        "--repeat",
        action="append",
        default=[],
        metavar="SOURCE=N",
        help="train on SOURCE's pairs N times over (repeatable; after --cap), e.g. fever_symmetric=2",
    )
    p.add_argument(
        "--quantize",
        choices=("tokens", "weights"),
        default="tokens",
        help="tokens: int8 arithmetic with activations scaled per token (faster); weights: int8 weights, fp32 "
        "arithmetic. Either way a pair's scores do not depend on the pairs batched with it",
    )
    p.add_argument(
        "--requantize",
        action="store_true",
        help="do not train: quantise the model already trained in --out (its model-fp32.onnx) again and "
        "re-evaluate it; --data must be the file it was trained on",
    )
    p.set_defaults(run=cmd_train_stance)
