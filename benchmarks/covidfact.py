"""COVID-Fact dev set: retrieval recall@5, verdict macro-F1 and calibration, ingest and check speed.

Each corpus line becomes an article (gold evidence and distractors alike); each claim is checked
returning its whole evidence pool (the statements the verdict reads, at least 5). recall@5 counts a claim as
found when any of its gold evidence sentences is among the first 5.
Verdicts are scored against SUPPORTS → supported and REFUTES → refuted (macro-F1 over those two; a
`conflicting` or `not_enough_evidence` verdict counts as wrong), with each decided verdict's precision and
count, coverage and ECE over decided verdicts (10 equal-width bins).

    python benchmarks/covidfact.py --data ../shared/data/dev/covidfact [--limit N] [--records OUT.jsonl] \
        [--plot OUT.png] [--json OUT]

`--records` writes each claim's evidence for `benchmarks/calibrate.py`, which fits and tests the calibration.
"""

import argparse
import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import (
    CHECKED,
    RECALL_AT,
    add_stance_options,
    emit,
    evidence_record,
    percentiles_ms,
    stance_of,
    verdict_figures,
    write_records,
)
from tqdm import tqdm

from factdesk.index.archive import Archive
from factdesk.index.embed import ENCODERS, load_embedder
from factdesk.index.ingest.articles import Article
from factdesk.index.ingest.segment import split_article

GOLD = {"SUPPORTS": "supported", "REFUTES": "refuted"}


def timed(fn: Callable[[list[str]], object], texts: list[str]) -> float:
    started = time.perf_counter()
    fn(texts)
    return time.perf_counter() - started


def ingest_speed(archive: Archive, articles: list[Article]) -> dict[str, object]:
    """Ingest the articles, timed against the bare encoder on the same statements in the same calls, timed before
    and after it (this box's speed drifts by up to 25% between runs)."""
    calls = [
        [st.text for a in articles[i : i + 256] for st in split_article(a.text)] for i in range(0, len(articles), 256)
    ]
    texts = [t for call in calls for t in call]
    encoder_s = sum(timed(archive.embedder.embed, call) for call in calls)
    started = time.perf_counter()
    statements = 0
    for i in tqdm(range(0, len(articles), 256), desc="ingest", unit="batch"):
        statements += sum(o.statements for o in archive.ingest(articles[i : i + 256], save=False))
    archive.save()
    ingest_s = time.perf_counter() - started
    encoder_s = (encoder_s + sum(timed(archive.embedder.embed, call) for call in calls)) / 2
    return {
        "ingest_statements_per_s": round(statements / ingest_s, 1),
        "encoder_statements_per_s": round(len(texts) / encoder_s, 1),
        "ingest_vs_encoder": round((statements / ingest_s) / (len(texts) / encoder_s), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--data", type=Path, required=True, help="COVID-Fact dev directory (claims.jsonl, corpus.jsonl)"
    )
    parser.add_argument("--limit", type=int, help="check only the first N claims (a seeded sample)")
    add_stance_options(parser)
    parser.add_argument("--encoder", default="onnx", choices=ENCODERS)
    parser.add_argument("--plot", type=Path, help="write the reliability diagram of decided verdicts here (PNG)")
    parser.add_argument("--work", type=Path, help="keep the archive in this directory; a later run only checks")
    parser.add_argument("--records", type=Path, help="write each claim's evidence here (JSONL, for calibrate.py)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    corpus = [json.loads(line) for line in (args.data / "corpus.jsonl").open(encoding="utf-8")]
    claims = [json.loads(line) for line in (args.data / "claims.jsonl").open(encoding="utf-8")]
    if args.limit:
        claims = random.Random(7).sample(claims, min(args.limit, len(claims)))
    id_of = {c["text"]: c["id"] for c in corpus}

    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        archive = Archive(work, embedder=load_embedder(args.encoder), stance=stance_of(args))
        articles = [Article(text=c["text"], id=c["id"], publisher=c.get("source")) for c in corpus]
        speed: dict[str, object] = {}
        if archive.stats()["articles"] < len(articles):  # a fresh archive (not one kept by --work): time ingest
            speed = ingest_speed(archive, articles)
        statements = archive.stats()["statements"]

        results, latency, found, records = [], [], [], []
        for c in tqdm(claims, desc="check", unit="claim"):
            t0 = time.perf_counter()
            result = archive.check(c["claim"], top_k=CHECKED)
            latency.append((time.perf_counter() - t0) * 1000)
            results.append(result)
            gold_ids = set(c.get("evidence_ids") or []) or {id_of[t] for t in c["evidence"] if t in id_of}
            found.append(any(a.id in gold_ids for e in result.evidence[:RECALL_AT] for a in e.sources))
            records.append(
                {
                    "id": c["id"],
                    "claim": c["claim"],
                    "gold": GOLD[c["label"]],
                    "evidence": evidence_record(result, gold_ids),
                }
            )
        archive.close()

    gold = [GOLD[c["label"]] for c in claims]
    if args.records:
        write_records(args.records, records)
    figures: dict[str, object] = {
        "claims": len(claims),
        "corpus_articles": len(articles),
        "statements": statements,
        "stance": archive.stance.name,
        "recall_at_5": round(sum(found) / len(found), 4),
        "encoder": archive.embedder.encoder,
        **speed,
        **percentiles_ms(latency, "check_ms"),
        "verdict": verdict_figures(results, gold, args.plot, "COVID-Fact dev"),
    }
    emit(figures, args.json)


if __name__ == "__main__":
    main()
