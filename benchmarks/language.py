"""The language check (`index.language`): how many dev claims would be refused as not English, and how many
sentences of other languages are caught.

    python benchmarks/language.py --covidfact ../shared/data/dev/covidfact --averitec ../shared/data/dev/averitec

Every claim of both dev sets is English, so each one refused is a false refusal; the other languages are the
newsroom sentences of tests/fixtures/languages.json. Printed per English-probability threshold (NOT_ENGLISH).
"""

import argparse
import json
import time
from pathlib import Path

from common import emit, load_jsonl

from index import language

FOREIGN = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "languages.json"
THRESHOLDS = (0.5, 0.1, 0.05, 0.01, 0.001)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--covidfact", type=Path, required=True)
    parser.add_argument("--averitec", type=Path, required=True)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    sets = {name: [c["claim"] for c in load_jsonl(path / "claims.jsonl")] for name, path in
            (("covidfact", args.covidfact), ("averitec", args.averitec))}  # fmt: skip
    foreign = [t for code, texts in json.loads(FOREIGN.read_text(encoding="utf-8")).items() if code != "note"
               for t in texts]  # fmt: skip
    started = time.perf_counter()
    found = {name: [language.detect_language(c) for c in claims] for name, claims in sets.items()}
    per_claim_ms = (time.perf_counter() - started) * 1000 / sum(len(c) for c in sets.values())
    other = [language.detect_language(t) for t in foreign]

    def refused(d: language.Language, threshold: float) -> bool:
        return d.code != "en" and d.english < threshold

    rows = [
        {"threshold": t}
        | {f"{name}_refused": sum(refused(d, t) for d in ds) for name, ds in found.items()}
        | {"other_languages_caught": f"{sum(refused(d, t) for d in other)}/{len(other)}"}
        for t in THRESHOLDS
    ]
    claims = {name: len(c) for name, c in sets.items()}
    emit({"claims": claims, "ms_per_claim": round(per_claim_ms, 3), "thresholds": rows}, args.json)


if __name__ == "__main__":
    main()
