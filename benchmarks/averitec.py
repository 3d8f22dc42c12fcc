"""AVeriTeC dev set (real-world claims, four verdicts): recall@5, verdict quality and calibration, check latency.

The archive is AVeriTeC's evidence passages plus COVID-Fact's corpus as distractors, one article a passage.
Each claim is checked returning its whole evidence pool (the statements the verdict reads, at least 5), so the
records hold all of them; recall@5 counts a claim as found when any of its gold passages is among the first 5.
Gold labels: SUPPORTS → supported, REFUTES → refuted, DISPUTED → conflicting, NOT_ENOUGH_INFO →
not_enough_evidence. Reported: macro-F1 over the four verdicts, precision and count of each decided verdict,
coverage (share of claims decided), ECE over decided verdicts, and a reliability diagram (`--plot`).

    python benchmarks/averitec.py --data ../shared/data/dev/averitec --covidfact ../shared/data/dev/covidfact \
        [--work DIR] [--records OUT.jsonl] [--plot OUT.png] [--json OUT]

`--work` keeps the ingested archive there for later runs; `--records` writes each claim's evidence (model
scores, similarity, cues, publishers) for `benchmarks/calibrate.py`.
"""

import argparse
import tempfile
import time
from pathlib import Path

from common import (
    CHECKED,
    RECALL_AT,
    add_stance_options,
    emit,
    evidence_record,
    ingest_corpus,
    load_jsonl,
    percentiles_ms,
    stance_of,
    verdict_figures,
    write_records,
)
from tqdm import tqdm

from factdesk.index.archive import Archive
from factdesk.index.embed import ENCODERS, load_embedder

GOLD = {
    "SUPPORTS": "supported",
    "REFUTES": "refuted",
    "DISPUTED": "conflicting",
    "NOT_ENOUGH_INFO": "not_enough_evidence",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="AVeriTeC dev directory (claims.jsonl, corpus.jsonl)")
    parser.add_argument("--covidfact", type=Path, required=True, help="COVID-Fact dev directory (distractors)")
    add_stance_options(parser)
    parser.add_argument("--encoder", default="onnx", choices=ENCODERS)
    parser.add_argument("--work", type=Path, help="keep the archive in this directory and reuse it")
    parser.add_argument("--records", type=Path, help="write each claim's evidence here (JSONL)")
    parser.add_argument("--plot", type=Path, help="write the reliability diagram here (PNG)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    corpus = load_jsonl(args.data / "corpus.jsonl") + load_jsonl(args.covidfact / "corpus.jsonl")
    claims = load_jsonl(args.data / "claims.jsonl")
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        archive = Archive(work, embedder=load_embedder(args.encoder), stance=stance_of(args))
        if archive.stats()["articles"] < len(corpus):
            ingest_corpus(archive, corpus)
        statements = archive.stats()["statements"]
        results, latency = [], []
        for c in tqdm(claims, desc="check", unit="claim"):
            t0 = time.perf_counter()
            results.append(archive.check(c["claim"], top_k=CHECKED))
            latency.append((time.perf_counter() - t0) * 1000)
        stance = archive.stance.name
        archive.close()

    gold = [GOLD[c["label"]] for c in claims]
    records = [
        {"id": c["id"], "claim": c["claim"], "gold": g, "evidence": evidence_record(r, set(c["evidence_ids"]))}
        for c, g, r in zip(claims, gold, results, strict=True)
    ]
    if args.records:
        write_records(args.records, records)
    # recall over the claims whose passages decide them (NOT_ENOUGH_INFO passages are on topic, not evidence)
    decidable = [r for r in records if r["gold"] != "not_enough_evidence"]
    figures = {
        "claims": len(claims),
        "corpus_articles": len(corpus),
        "statements": statements,
        "stance": stance,
        "recall_at_5": round(
            sum(any(e["gold"] for e in r["evidence"][:RECALL_AT]) for r in decidable) / len(decidable), 4
        ),
        **percentiles_ms(latency, "check_ms"),
        "verdict": verdict_figures(results, gold, args.plot, "AVeriTeC dev"),
    }
    emit(figures, args.json)


if __name__ == "__main__":
    main()
