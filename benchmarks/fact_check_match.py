"""The similarity from which an earlier fact-check's claim counts as the checked claim (`index.factchecks.MATCH`).

    python benchmarks/fact_check_match.py --covidfact ../shared/data/dev/covidfact \
        --averitec ../shared/data/dev/averitec

Each dev claim is looked up, as a check would, among all the other claims of both sets (standing in for
earlier fact-checks). COVID-Fact's claims come in families, an original and its word-swapped variants sharing
evidence: a fact-check of one is about the others, so a match inside the family is right and any other is
wrong. AVeriTeC's claims are distinct real claims: any match among them is a false one. Per threshold: the
share of COVID-Fact claims matched to a family member (recall), the share of matches that are right
(precision), and the share of AVeriTeC claims given a false match.
"""

import numpy as np
from common import dev_claims_args, emit, load_jsonl

from factdesk.index.embed import load_embedder

THRESHOLDS = (0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def main() -> None:
    args = dev_claims_args(__doc__)
    covid = load_jsonl(args.covidfact / "claims.jsonl")
    averitec = load_jsonl(args.averitec / "claims.jsonl")
    claims = [c["claim"] for c in covid + averitec]
    families = [frozenset(c["evidence_ids"]) for c in covid] + [frozenset({c["id"]}) for c in averitec]
    vectors = np.stack(load_embedder("onnx").embed(claims))
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -1.0)
    best = similarity.argmax(axis=1)
    best_score = similarity[np.arange(len(claims)), best]
    related = np.array([bool(families[i] & families[j]) for i, j in enumerate(best)])
    has_family = np.array(
        [any(families[i] & families[j] for j in range(len(covid)) if j != i) for i in range(len(covid))]
    )
    is_covid = np.arange(len(claims)) < len(covid)
    rows = []
    for t in THRESHOLDS:
        matched = best_score >= t
        covid_matched = matched & is_covid
        rows.append(
            {
                "threshold": t,
                "covidfact_recall": round(float((covid_matched & related).sum() / has_family.sum()), 4),
                "covidfact_precision": round(float((covid_matched & related).sum() / max(1, covid_matched.sum())), 4),
                "averitec_false_matches": round(float((matched & ~is_covid).sum() / len(averitec)), 4),
            }
        )
    emit(
        {
            "covidfact_claims": len(covid),
            "with_family": int(has_family.sum()),
            "averitec_claims": len(averitec),
            "thresholds": rows,
        },
        args.json,
    )


if __name__ == "__main__":
    main()
