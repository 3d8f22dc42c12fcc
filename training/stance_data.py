"""The stance model's training pairs: NLI data files, the held-out slice, synthetic news pairs, and batches."""

import gzip
import json
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import torch

from factdesk.index.stance.labels import LABELS, NOT_ENTAILMENT

Pair = dict[str, str]


# the label of a pair that has no gold label: only a teacher's probabilities train on it (`augment`)
TAUGHT = "taught"

# gold label → its index in a batch's targets; not_entailment comes after the model's three outputs, then the
# pairs without one
TARGETS = (*LABELS, NOT_ENTAILMENT, TAUGHT)


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


def news_texts(pairs: Iterable[Pair]) -> list[str]:
    """Premises of the news-domain training pairs: the raw material of synthetic edits."""
    seen: set[str] = set()
    texts = []
    for p in pairs:
        if p["source"] in ("fnc1_test", "emergent", "liar_plus", "mnli_taxinli") and p["premise"] not in seen:
            seen.add(p["premise"])
            texts.append(p["premise"])
    return texts


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
