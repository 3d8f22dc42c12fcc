"""Check-worthiness, the shipped model against the earlier heuristic: ClaimBuster k-fold figures and a news set.

    python benchmarks/checkworthiness.py --data ../shared/data/checkworthiness/claimbuster.jsonl \
        --claims ../shared/data/nli/nli_pairs.jsonl.gz [--json OUT]

ClaimBuster (9,674 debate sentences): the model is refitted k-fold exactly as `training/fit_checkworthiness.py` fits
it (`--claims`: the same extra check-worthy claims on the training side of every fold), and every sentence is scored
by the fold that did not train on it; the heuristic needs no fit. Reported for
each: average precision, and precision / recall / F1 of the check-worthy class at its default level (the model's
own, the heuristic's 0.5). The news set (`tests/fixtures/checkworthiness_news.json`: the seed article's
statements and drafts written about the same events, factual sentences true or false against opinions, promises,
questions, teasers and empty attributions) is scored by the shipped model, reported separately: debates are not
news copy.
"""

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
from common import emit

from factdesk.index.embed import load_embedder
from factdesk.index.ingest.checkworthy import load_model
from factdesk.index.ingest.segment import checkworthiness, find_speaker, split_article
from factdesk.training.fit_checkworthiness import checked_claims, design, figures, held_out

ROOT = Path(__file__).resolve().parents[1]

NEWS = ROOT / "tests" / "fixtures" / "checkworthiness_news.json"


def news_set() -> list[tuple[str, str | None, int, str]]:
    """(sentence, speaker, label, kind) of the seed article's labelled statements and of the drafts."""
    data = json.loads(NEWS.read_text(encoding="utf-8"))
    seed = json.loads((ROOT / "seeds" / "goma-2025-01.json").read_text(encoding="utf-8"))
    statements = split_article(seed["text"])
    rows = [(statements[int(p)].text, statements[int(p)].speaker, label, "seed") for p, label in data["seed"].items()]
    for draft in data["drafts"]:
        text = "\n\n".join(s["text"] for s in draft)
        split = split_article(text)
        if [s.text for s in split] != [s["text"] for s in draft]:
            raise ValueError("a draft of the news set does not split into its sentences")
        rows += [(s.text, s.speaker, d["checkworthy"], d["kind"]) for s, d in zip(split, draft, strict=True)]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="claimbuster.jsonl")
    parser.add_argument("--claims", type=Path, help="the NLI pairs file the model's extra claims came from")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    model = load_model()
    embedder = load_embedder("onnx")

    rows = [json.loads(line) for line in args.data.open(encoding="utf-8") if line.strip()]
    texts = [r["text"] for r in rows]
    gold = np.array([int(r["checkworthy"]) for r in rows])
    vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
    c = float(model.about.get("command", "--c 4.0").split("--c ")[1].split()[0])
    claims = checked_claims(args.claims) if args.claims else []
    extra = design(claims, np.asarray(embedder.embed(claims), dtype=np.float32)) if claims else None
    probs = held_out(design(texts, vectors), gold, args.folds, c, 0, extra)
    heuristic = np.array([checkworthiness(t, find_speaker(t, None)) for t in texts])
    figures_out: dict[str, Any] = {
        "claimbuster": {
            "sentences": len(texts),
            "folds": args.folds,
            "model": figures(gold, probs, model.default_level) | {"level": model.default_level},
            "heuristic": figures(gold, heuristic, 0.5) | {"level": 0.5},
        }
    }
    news = news_set()
    news_vectors = embedder.embed([t for t, _, _, _ in news])
    scores = np.array(model.scores([t for t, _, _, _ in news], [s for _, s, _, _ in news], news_vectors))
    news_gold = np.array([label for _, _, label, _ in news])
    news_heuristic = np.array([checkworthiness(t, s) for t, s, _, _ in news])
    missed = [(t, round(float(p), 3)) for (t, _, label, _), p in zip(news, scores, strict=True)
              if label and p < model.default_level]  # fmt: skip
    flagged = [(t, round(float(p), 3)) for (t, _, label, _), p in zip(news, scores, strict=True)
               if not label and p >= model.default_level]  # fmt: skip
    figures_out["news"] = {
        "sentences": len(news),
        "check_worthy": int(news_gold.sum()),
        "model": figures(news_gold, scores, model.default_level),
        "heuristic": figures(news_gold, news_heuristic, 0.5),
        "model_missed": missed,
        "model_flagged": flagged,
    }
    emit(figures_out, args.json)


if __name__ == "__main__":
    main()
