"""Train, evaluate and export the stance (NLI) cross-encoder.

A 3-way cross-encoder initialised from the packaged all-MiniLM-L6-v2 weights: premise and hypothesis
go through the encoder as one pair, the token states are mean-pooled and a linear head gives
entailment / neutral / contradiction logits (order in `labels.LABELS`).

Runs on CPU (length-bucketed batches keep short pairs cheap) and unchanged on CUDA when present.
`run()` writes into `out`: `model.onnx` (int8), `tokenizer.json`, `metrics.json`, `MODEL_CARD.md`.
"""

import json
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from factdesk.training.augment import make_augmented
from factdesk.training.news_edits import make_news_edits
from factdesk.training.stance_data import (
    TARGETS,
    TAUGHT,
    Pair,
    bucketed_batches,
    collate,
    covidfact_pairs,
    encode,
    load_data,
    news_texts,
)
from factdesk.training.stance_eval import evaluate, evaluate_two_way
from factdesk.training.stance_export import export_onnx, quantize_model, write_card
from factdesk.training.stance_network import (
    FP32_EXPORT,
    CrossEncoder,
    Teacher,
    build_model,
    focus,
    init_export,
    keep_layers,
    load_init,
    training_loss,
)
from factdesk.training.stance_runs import earlier_run, runs_before
from factdesk.training.synthetic import make_pairs
from factdesk.training.word_swaps import make_word_swaps


@dataclass
class TrainConfig:
    data: list[Path]  # the first file's held-out slice is `holdout` pairs; each further file's `holdout_more`
    out: Path
    covidfact: Path | None = None
    epochs: float = 2.0
    batch_size: int = 32
    lr: float = 8e-5
    warmup: float = 0.06
    weight_decay: float = 0.01
    max_length: int = 128
    holdout: int = 3600
    holdout_more: int = 4000
    synthetic: int = 8000
    seed: int = 13
    max_minutes: float | None = None
    limit: int | None = None  # train on the first N pairs only (smoke tests)
    max_steps: int | None = None
    threads: int | None = None
    layers: int | None = None  # keep this many of the encoder's (or the --init network's) layers, evenly spaced
    teacher: Path | None = None  # a stance model directory whose probabilities the student also learns
    init: Path | None = None  # a stance model directory to go on training from (its layers), not the base encoder
    base: Path | None = None  # a BERT-family ONNX export (+ tokenizer.json) to start from instead of all-MiniLM-L6-v2
    cap: dict[str, int] = field(default_factory=dict)  # source → at most this many training pairs
    repeat: dict[str, int] = field(default_factory=dict)  # source → its training pairs this many times over
    news_edits: int = 0  # pairs of `make_news_edits` added to training
    news_clauses: float = 0.0  # share of those swaps cut to the edited clause (`edited_clause`)
    news_same_name: float = 0.0  # share of their neutral pairs made of two sentences naming the same thing
    news_numbers: float = 0.0  # share of their entailments / neutral pairs made of rounded / other-year figures
    word_swaps: int = 0  # pairs of `make_word_swaps` added to training (their clauses at the rate news_clauses)
    distill: float = 0.5  # share of the loss that follows the teacher (the rest follows the gold labels)
    focus: int = 0  # train on this many pairs drawn at random, those the teacher reads right and --init not repeated
    focus_repeat: int = 3  # times over for those
    augment: int = 0  # edited copies of training pairs that only the teacher labels (`make_augmented`)
    quantize: str = "tokens"  # int8 arithmetic, activations per token; or "weights": int8 weights, fp32 arithmetic
    extra: dict[str, Any] = field(default_factory=dict)


def train(
    config: TrainConfig,
    train_pairs: Sequence[Pair],
    teacher: Teacher | None,
    log: Callable[[str], None] = print,
) -> tuple[CrossEncoder, Any, dict[str, Any]]:
    labels = torch.tensor([TARGETS.index(p["label"]) for p in train_pairs])
    if teacher is None and bool((labels == TARGETS.index(TAUGHT)).any()):  # before the network and the encoding
        raise ValueError("pairs without a gold label (--augment) need a --teacher")
    # a run that goes on from another (--init) shuffles with the next seed: the same --seed keeps the held-out
    # slice, but would replay the earlier run's batches in the same order
    order_seed = config.seed + runs_before(config.init)
    random.seed(order_seed)
    np.random.seed(order_seed)
    torch.manual_seed(order_seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if config.init:
        model, tokenizer = load_init(config.init)
        if config.layers:  # a student made of some of a trained network's layers
            keep_layers(model.encoder, config.layers)
    else:
        model, tokenizer = build_model(config.layers, config.base)
    model.to(device)
    encoded = encode(tokenizer, train_pairs, config.max_length)
    lengths = [len(e["input_ids"]) for e in encoded]
    rng = random.Random(order_seed)

    steps_per_epoch = math.ceil(len(encoded) / config.batch_size)
    planned = max(1, int(steps_per_epoch * config.epochs))
    if config.max_steps:
        planned = min(planned, config.max_steps)
    total = [planned]  # may shrink once the step time is known (max_minutes)
    warmup = max(1, int(planned * config.warmup))

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total[0] - step) / max(1, total[0] - warmup))

    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {
            "params": [p for n, p in model.named_parameters() if not any(x in n for x in no_decay)],
            "weight_decay": config.weight_decay,
        },
        {"params": [p for n, p in model.named_parameters() if any(x in n for x in no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=config.lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")

    started = time.monotonic()
    scored_before = teacher.seconds if teacher else 0.0  # a focused run's draw, scored before training

    def training_seconds() -> float:  # the teacher's scoring is timed apart: --max-minutes budgets training
        return time.monotonic() - started - (teacher.seconds - scored_before if teacher else 0.0)

    step, running = 0, 0.0
    progress = tqdm(total=planned, desc="train", unit="step", mininterval=5)
    model.train()
    while step < total[0]:
        for batch in bucketed_batches(lengths, config.batch_size, rng):
            if step >= total[0]:
                break
            inputs = collate([encoded[i] for i in batch], device)
            with autocast:
                logits = model(**inputs)
            soft = teacher[batch].to(device) if teacher is not None else None
            loss = training_loss(logits.float(), labels[batch].to(device), soft, config.distill)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
            progress.update(1)
            if config.max_minutes and (step == 50 or step % 100 == 0):
                # re-estimated as the run goes: the step time drifts with batch lengths and machine load
                # (both ways, never past the planned steps)
                per_step = training_seconds() / step
                fit = min(planned, max(step + 1, int(config.max_minutes * 60 / per_step)))
                if fit != total[0]:
                    log(f"time budget: {per_step:.2f} s/step, {total[0]} → {fit} steps")
                    total[0] = fit
                    progress.total = fit
            if step % 200 == 0:
                log(
                    f"step {step}/{total[0]} loss {running:.4f} lr {scheduler.get_last_lr()[0]:.2e} "
                    f"{training_seconds() / 60:.1f} min"
                )
    progress.close()
    stats = {
        "steps": step,
        "examples_seen": step * config.batch_size,
        "epochs_done": round(step / steps_per_epoch, 3),
        "train_minutes": round(training_seconds() / 60, 2),
        "device": device.type,
        "final_loss": round(running, 4),
        "encoder_layers": len(model.encoder.encoder.layer),
    }
    if teacher is not None:
        stats["teacher_minutes"] = round(teacher.seconds / 60, 2)
    if config.init:
        stats["init_export"] = init_export(config.init).name
    model.to("cpu").eval()
    return model, tokenizer, stats


def prepare(config: TrainConfig) -> tuple[list[Pair], list[Pair]]:
    """(training pairs, held-out pairs): deterministic for a given config, synthetic pairs in training only."""
    train_pairs, held = load_data(config.data, config.holdout, config.holdout_more, config.seed)
    texts = news_texts(train_pairs)
    if config.synthetic:
        train_pairs += list(make_pairs(texts, config.seed, config.synthetic))
        random.Random(config.seed).shuffle(train_pairs)
    if config.news_edits:
        train_pairs += list(
            make_news_edits(
                texts,
                config.seed,
                config.news_edits,
                config.news_clauses,
                config.news_same_name,
                config.news_numbers,
            )
        )
        random.Random(config.seed).shuffle(train_pairs)
    if config.word_swaps:
        train_pairs += list(make_word_swaps(texts, config.seed, config.word_swaps, config.news_clauses))
        random.Random(config.seed).shuffle(train_pairs)
    if config.augment:
        train_pairs += make_augmented(train_pairs, config.augment, config.seed)
        random.Random(config.seed).shuffle(train_pairs)
    if config.cap:
        seen: Counter[str] = Counter()
        kept = []
        for p in train_pairs:
            seen[p["source"]] += 1
            if seen[p["source"]] <= config.cap.get(p["source"], len(train_pairs)):
                kept.append(p)
        train_pairs = kept
    if config.repeat:
        train_pairs += [p for p in train_pairs for _ in range(config.repeat.get(p["source"], 1) - 1)]
        random.Random(config.seed).shuffle(train_pairs)
    if config.limit:
        train_pairs = train_pairs[: config.limit]
        held = held[: max(30, config.limit // 4)]
    return train_pairs, held


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def report(
    config: TrainConfig,
    stats: dict[str, Any],
    train_counts: dict[str, int],
    held: Sequence[Pair],
    init_run: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Evaluate the exported fp32 and int8 models, write metrics, held-out slice and model card.

    The fp32 export stays beside the int8 one (not shipped: .gitignore) so quantisation can be redone.
    """
    from factdesk.index.stance.model import StanceModel

    out = config.out
    held_pairs = [(p["premise"], p["hypothesis"]) for p in held]
    fp32_probs = StanceModel(out, filename=FP32_EXPORT).predict(held_pairs)
    int8 = StanceModel(out)
    int8_probs = int8.predict(held_pairs)
    files = [p["data"] for p in held] if len(config.data) > 1 else []
    metrics: dict[str, Any] = {
        "config": {k: _plain(v) for k, v in asdict(config).items()},
        "training": stats,
        "train_counts": train_counts,
        "heldout_counts": dict(Counter(p["source"] for p in held)),
        **({"init_run": init_run} if init_run else {}),
        "heldout_fp32": evaluate(fp32_probs, held, files),
        "heldout_int8": evaluate(int8_probs, held, files),
        "int8_fp32_agreement": round(float((fp32_probs.argmax(1) == int8_probs.argmax(1)).mean()), 4),
        "model_mb": round((out / "model.onnx").stat().st_size / 2**20, 1),
    }
    if config.covidfact:
        cf = covidfact_pairs(config.covidfact)
        if config.limit:
            cf = cf[: config.limit]
        probs = int8.predict([(p["premise"], p["hypothesis"]) for p in cf])
        metrics["covidfact_int8"] = evaluate_two_way(probs, cf)
    (out / "heldout.jsonl").write_text(
        "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in held), encoding="utf-8"
    )
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    write_card(out, metrics)
    return metrics


def requantize(out: Path, quantize: str, data: list[Path], covidfact: Path | None) -> dict[str, Any]:
    """Quantise `out`'s fp32 export again (after a change of quantiser) and re-evaluate it; no training.

    The run's configuration and training figures come from its metrics.json; `prepare` rebuilds the same
    held-out slice from the data and the seed.
    """
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    stored = metrics["config"]
    paths = {"data": data, "out": out, "covidfact": covidfact}
    paths["teacher"] = Path(stored["teacher"]) if stored.get("teacher") else None
    paths["init"] = Path(stored["init"]) if stored.get("init") else None
    paths["base"] = Path(stored["base"]) if stored.get("base") else None
    config = TrainConfig(**(stored | paths | {"quantize": quantize}))
    quantize_model(out / FP32_EXPORT, out / "model.onnx", quantize)
    _, held = prepare(config)  # the pairs it trained on are counted in its metrics (a focused run drew from these)
    return report(config, metrics["training"], metrics["train_counts"], held, metrics.get("init_run"))


def run(config: TrainConfig, log: Callable[[str], None] = print) -> dict[str, Any]:
    train_pairs, held = prepare(config)
    log(f"train {len(train_pairs)} pairs, held-out {len(held)} pairs")
    init_run = earlier_run(config.init)  # read first: --init may be --out
    teacher = Teacher(config.teacher, train_pairs, config.threads) if config.teacher else None
    focused = None
    if config.focus:
        from factdesk.index.stance.model import load_model

        if teacher is None or config.init is None:
            raise ValueError("--focus needs a --teacher and an --init model")
        student = load_model(config.init, threads=config.threads)
        rows, focused = focus(train_pairs, teacher, student, config.focus, config.focus_repeat, config.seed)
        train_pairs, teacher = [train_pairs[i] for i in rows], teacher.subset(rows)
        log(f"focus: {json.dumps(focused)}, training on {len(train_pairs)} pairs")
    model, tokenizer, stats = train(config, train_pairs, teacher, log)
    if focused:
        stats["focus"] = focused
    export_onnx(model, tokenizer, config.out, config.quantize)
    metrics = report(config, stats, dict(Counter(p["source"] for p in train_pairs)), held, init_run)
    log(
        json.dumps(
            {
                "heldout_int8": metrics["heldout_int8"]["overall"],
                "agreement": metrics["int8_fp32_agreement"],
                "model_mb": metrics["model_mb"],
            }
        )
    )
    return metrics
