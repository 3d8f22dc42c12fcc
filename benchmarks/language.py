"""The language check (`index.language`): how many dev claims would be refused as not English, and how many
sentences of other languages are caught.

    python benchmarks/language.py --covidfact ../shared/data/dev/covidfact --averitec ../shared/data/dev/averitec

Every claim of both dev sets is English, so each one refused is a false refusal, and so is each of 2,000
name-heavy news claims from benchmarks/scale.py's templates (Rwandan and Congolese names, places made of random
syllables); the other languages are the newsroom sentences of tests/fixtures/languages.json. Printed per
English-probability threshold (NOT_ENGLISH), with the language read from the whole text, from its words other
than names and figures, and from both (refused when both read as another language: what the service does).
"""

import json
import time
from pathlib import Path

from common import dev_claims_args, emit, load_jsonl
from scale import claims as news_claims

from factdesk.index.ingest import language

FOREIGN = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "languages.json"
THRESHOLDS = (0.5, 0.1, 0.05, 0.01, 0.001)


Reading = tuple[language.Language, language.Language | None]


def read(text: str) -> Reading:
    return language.detect_language(text), language.claim_language(text)


def _other(found: language.Language | None, threshold: float) -> bool:
    return found is not None and found.code != "en" and found.english < threshold


def whole(r: Reading, threshold: float) -> bool:
    return _other(r[0], threshold)


def stripped(r: Reading, threshold: float) -> bool:
    return _other(r[1], threshold)


def both(r: Reading, threshold: float) -> bool:
    return whole(r, threshold) and stripped(r, threshold)


def main() -> None:
    args = dev_claims_args(__doc__)
    sets = {name: [c["claim"] for c in load_jsonl(path / "claims.jsonl")] for name, path in
            (("covidfact", args.covidfact), ("averitec", args.averitec))}  # fmt: skip
    sets["named_news"] = news_claims(2000, 10000)
    foreign = [t for code, texts in json.loads(FOREIGN.read_text(encoding="utf-8")).items() if code != "note"
               for t in texts]  # fmt: skip
    figures: dict = {"claims": {name: len(c) for name, c in sets.items()}}
    started = time.perf_counter()
    found = {name: [read(c) for c in claims] for name, claims in sets.items()}
    figures["ms_per_claim"] = round((time.perf_counter() - started) * 1000 / sum(len(c) for c in sets.values()), 3)
    other = [read(t) for t in foreign]
    for way, refused in (("whole_text", whole), ("without_names", stripped), ("both", both)):
        figures[way] = [
            {"threshold": t}
            | {f"{name}_refused": sum(refused(r, t) for r in readings) for name, readings in found.items()}
            | {"other_languages_caught": f"{sum(refused(r, t) for r in other)}/{len(other)}"}
            for t in THRESHOLDS
        ]
    emit(figures, args.json)


if __name__ == "__main__":
    main()
