"""Pieces the benchmark scripts share (each script runs as `python benchmarks/NAME.py`, so this imports as `common`)."""

import argparse
import json
import os
import platform
import statistics
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from factdesk.index.archive import Archive
from factdesk.index.check import RERANK_POOL, CheckResult
from factdesk.index.ingest.articles import Article
from factdesk.index.onnxrt import available_cores
from factdesk.index.stance import STANCE_MODES, CueStance, NliStance, StanceClassifier, load_stance

RECALL_AT = 5  # recall@5: the statements a reader sees first
# a dev-set check returns its whole evidence pool (at least RECALL_AT items), so the records hold every statement
# the verdict read and calibrate.py refits on exactly that
CHECKED = max(RECALL_AT, RERANK_POOL)


def machine() -> dict[str, Any]:
    """The CPU the figures were measured on. Speed figures compare only between runs on the same CPU: the same
    scripts ran about half as fast on a first-generation AMD EPYC (family 23, model 1: AVX2 in 128-bit halves)
    as on the box of earlier runs."""
    info: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                key, _, value = line.partition(":")
                info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    simd = [
        flag
        for flag in ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")
        if flag in info.get("flags", "").split()
    ]
    return {
        "cpu": info.get("model name") or platform.processor() or platform.machine(),
        "cpu_family_model": f"{info.get('cpu family', '?')}/{info.get('model', '?')}",
        "simd": simd,
        "cores": available_cores(),
    }


def emit(figures: dict[str, Any], path: Path | str | None) -> None:
    """Print the figures as JSON, with the machine they were measured on, and write them to `path` if given."""
    figures = figures | {"machine": machine()}
    text = json.dumps(figures, indent=2)
    print(text)
    if path:
        Path(path).write_text(text + "\n", encoding="utf-8")


def covidfact_archive(data: Path, work: Path) -> tuple[Archive, list[dict[str, Any]], list[dict[str, Any]]]:
    """The COVID-Fact corpus as an archive in `work` (ingested once, reused by later runs); corpus and claims."""
    corpus = [json.loads(line) for line in (data / "corpus.jsonl").open(encoding="utf-8")]
    claims = [json.loads(line) for line in (data / "claims.jsonl").open(encoding="utf-8")]
    archive = Archive(work, stance=CueStance())
    if archive.stats()["articles"] < len(corpus):
        articles = [Article(text=c["text"], id=c["id"], publisher=c.get("source")) for c in corpus]
        for i in tqdm(range(0, len(articles), 256), desc="ingest"):
            archive.ingest(articles[i : i + 256], save=False)
        archive.save()
    return archive, corpus, claims


def dev_claims_args(doc: str | None) -> argparse.Namespace:
    """--covidfact DIR --averitec DIR [--json F]: the options of the scripts that read both dev sets' claims."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--covidfact", type=Path, required=True)
    parser.add_argument("--averitec", type=Path, required=True)
    parser.add_argument("--json", help="also write the figures here")
    return parser.parse_args()


def add_stance_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stance", default="auto", choices=STANCE_MODES)
    parser.add_argument(
        "--stance-dir",
        type=Path,
        help="measure this stance model directory instead (a training run's export: model.onnx, tokenizer.json); "
        "it has no calibration, so compare its --records with calibrate.py or compare_verdicts.py",
    )


def stance_of(args: argparse.Namespace) -> StanceClassifier:
    return NliStance(args.stance_dir) if args.stance_dir else load_stance(args.stance)


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def ingest_corpus(archive: Archive, corpus: list[dict[str, Any]], desc: str = "ingest") -> int:
    """Each corpus line as an article (its source as publisher), in batches of 256; returns the statement count."""
    articles = [Article(text=c["text"], id=c["id"], publisher=c.get("source")) for c in corpus]
    statements = 0
    for i in tqdm(range(0, len(articles), 256), desc=desc, unit="batch"):
        statements += sum(o.statements for o in archive.ingest(articles[i : i + 256], save=False))
    archive.save()
    return statements


def evidence_record(result: CheckResult, gold_ids: set[str]) -> list[dict[str, Any]]:
    """What the verdict and its calibration see of a check's evidence, so rules can be re-scored offline."""
    return [
        {
            "text": e.text,
            "similarity": e.similarity,
            "model": list(e.model_scores),
            "stance": e.stance,
            "scores": e.stance_scores,
            "cues": sorted({c.kind for c in e.cues}),
            "reading": e.reading,
            "context": e.context,
            "publisher": e.publisher_key,
            "gold": any(a.id in gold_ids for a in e.sources),  # a wire copy of gold evidence is gold
        }
        for e in result.evidence
    ]


def percentiles_ms(times_ms: list[float], name: str) -> dict[str, float]:
    """`{name}_p50` and `{name}_p99` of times in milliseconds."""
    ordered = sorted(times_ms)
    return {
        f"{name}_p50": round(statistics.median(ordered), 1),
        f"{name}_p99": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1),
    }


def onnx_encoder(directory: Path, max_length: int) -> tuple[Any, Any]:
    """An ONNX model of the BERT family with its tokenizer (truncating at `max_length`, padding a batch)."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime as ort
    from tokenizers import Tokenizer

    session = ort.InferenceSession(str(directory / "model.onnx"), providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
    tokenizer.enable_truncation(max_length)
    tokenizer.enable_padding()
    return session, tokenizer


def bert_inputs(encoded: list[Any]) -> dict[str, np.ndarray]:
    """A padded batch of tokenizer encodings as a BERT model's inputs."""
    return {
        "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
    }


def write_records(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def macro_f1(gold: list[str], pred: list[str]) -> float:
    scores = []
    for label in sorted(set(gold)):
        tp = sum(g == p == label for g, p in zip(gold, pred, strict=True))
        fp = sum(p == label and g != label for g, p in zip(gold, pred, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, pred, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def reliability(confidence: list[float], correct: list[bool], bins: int = 10) -> list[tuple[float, float, int]]:
    """(mean confidence, accuracy, count) of each non-empty equal-width confidence bin."""
    rows = []
    for b in range(bins):
        idx = [i for i, c in enumerate(confidence) if b / bins <= c < (b + 1) / bins or (b == bins - 1 and c == 1.0)]
        if idx:
            rows.append(
                (
                    sum(confidence[i] for i in idx) / len(idx),
                    sum(correct[i] for i in idx) / len(idx),
                    len(idx),
                )
            )
    return rows


def ece(confidence: list[float], correct: list[bool], bins: int = 10) -> float:
    total = len(confidence)
    return sum(n / total * abs(acc - conf) for conf, acc, n in reliability(confidence, correct, bins))


def plot_reliability(
    path: Path,
    curves: dict[str, tuple[list[float], list[bool]]],
    title: str = "Decided verdicts: confidence vs accuracy",
) -> None:
    """Reliability diagram (accuracy against confidence per bin, point size = count) of decided verdicts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    ax.plot([0, 1], [0, 1], ":", color="grey", label="perfect calibration")
    for name, (confidence, correct) in curves.items():
        rows = reliability(confidence, correct)
        ax.plot([r[0] for r in rows], [r[1] for r in rows], "-o", label=f"{name} (ECE {ece(confidence, correct):.3f})")
        for conf, acc, n in rows:
            ax.annotate(str(n), (conf, acc), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence of the verdict", ylabel="share of verdicts right")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def verdict_figures(
    results: list[CheckResult], gold: list[str], plot: Path | None = None, name: str = "dev"
) -> dict[str, Any]:
    """Macro-F1 over the gold labels, each decided verdict's precision and count, coverage and ECE."""
    pred = [r.verdict for r in results]
    decided = [
        (r.confidence, r.verdict == g) for r, g in zip(results, gold, strict=True) if r.verdict != "not_enough_evidence"
    ]
    per_verdict = {}
    for label in ("supported", "refuted", "conflicting"):
        hits = [g == label for p, g in zip(pred, gold, strict=True) if p == label]
        per_verdict[label] = {"count": len(hits), "precision": round(sum(hits) / len(hits), 4) if hits else None}
    if plot and decided:
        plot_reliability(plot, {name: ([c for c, _ in decided], [ok for _, ok in decided])})
    return {
        "macro_f1": round(macro_f1(gold, pred), 4),
        "accuracy": round(sum(p == g for p, g in zip(pred, gold, strict=True)) / len(gold), 4),
        "coverage": round(len(decided) / len(gold), 4),
        "decided_precision": round(sum(ok for _, ok in decided) / len(decided), 4) if decided else None,
        "ece_decided": round(ece([c for c, _ in decided], [ok for _, ok in decided]), 4) if decided else None,
        "per_verdict": per_verdict,
        "predicted": {label: pred.count(label) for label in sorted(set(pred))},
    }
