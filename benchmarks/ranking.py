"""Evidence ranking as the archive grows: recall@5 of paraphrase queries on a synthetic archive whose town names
recur in hundreds of statements, as city and person names do in a real archive.

    python benchmarks/ranking.py --generator ../shared/probes/gen.py [--sizes 1000,3500,10000,50000]
        [--queries 300] [--work DIR] [--json OUT]

The generator writes articles of five template sentences ("In Goma, schools reopened on Monday, police said.",
"Police said 12 trucks of supplies arrived in Sake during report 7.", ...). The archive is the seed article plus
the first N generated articles, grown in steps. At each size, queries are drawn from the archive's own template
statements and said in other words, the same number of each of ten kinds: what one statement says ("12 trucks
carrying supplies reached Sake") and what many say ("Supply trucks reached Sake"). A query is found when one of
the five first hits says what it says (the same template with the same town, and figure, day or item if asked).
The probe query of the issue, "trucks of supplies arrived in Goma", counts every supply statement about Goma as found.
Precision@5 is the share of the five hits that say it.
"""

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from common import emit
from tqdm import tqdm

from factdesk.index.archive import Archive
from factdesk.index.ingest.articles import Article
from factdesk.index.stance import CueStance

ROOT = Path(__file__).resolve().parents[1]
SEED_ARTICLE = ROOT / "seeds" / "goma-2025-01.json"
PROBE = "trucks of supplies arrived in Goma"

# each template statement → what it says, specifically (with its figure or day) and generally (the template and its
# town), each as a key and a paraphrase; statements with the same key say the same thing
PATTERNS = [
    (
        re.compile(
            r"^In (\w+), (.+?) (reopened|closed|were damaged|were evacuated|reported shortages|resumed work|"
            r"were inspected|stayed shut) on (\w+), .+ said\.$"
        ),
        lambda m: [
            (("event", m[1], m[2], m[3], m[4]), f"{m[2].capitalize()} in {m[1]} {m[3]} on {m[4]}"),
            (("event in town", m[1], m[2], m[3]), f"{m[2].capitalize()} {m[3]} in {m[1]}"),
        ],
    ),
    (
        re.compile(r"^About (\d+) people were affected in (\w+) and nearby villages"),
        lambda m: [
            (("affected", m[1], m[2]), f"{m[1]} people in and around {m[2]} were affected"),
            (("affected in town", m[2]), f"People were affected in {m[2]} and villages nearby"),
        ],
    ),
    (
        re.compile(r" said (\d+) trucks of supplies arrived in (\w+) during report"),
        lambda m: [
            (("trucks", m[1], m[2]), f"{m[1]} trucks carrying supplies reached {m[2]}"),
            (("trucks to town", m[2]), f"Supply trucks reached {m[2]}"),
        ],
    ),
    (
        re.compile(r"^The situation in (\w+) remained (\w+) as of (\w+)\.$"),
        lambda m: [
            (("situation", m[1], m[2], m[3]), f"As of {m[3]}, {m[1]} was still {m[2]}"),
            (("situation in town", m[1], m[2]), f"{m[1]} stayed {m[2]}"),
        ],
    ),
    (
        re.compile(r"^Prices of (\w+) rose by (\d+) percent in (\w+),"),
        lambda m: [
            (("prices", m[1], m[2], m[3]), f"The price of {m[1]} in {m[3]} went up {m[2]} percent"),
            (("prices in town", m[1], m[3]), f"{m[1].capitalize()} got more expensive in {m[3]}"),
        ],
    ),
]


def parse(text: str) -> list[tuple[tuple[str, ...], str]]:
    for pattern, make in PATTERNS:
        if m := pattern.search(text):
            return make(m)
    return []


def generate(generator: Path, n: int, out: Path) -> list[Article]:
    subprocess.run([sys.executable, str(generator), str(n), str(out)], check=True)
    rows = [json.loads(line) for line in out.open(encoding="utf-8")]
    return [
        Article(text=r["text"], id=r["id"], title=r["title"], publisher=r["publisher"], published_at=r["published_at"])
        for r in rows
    ]


def measure(archive: Archive, queries: int, seed: int) -> dict[str, Any]:
    statements = archive.store.statements(archive.store.statement_ids())
    keys: dict[int, set[tuple[str, ...]]] = defaultdict(set)
    paraphrase: dict[tuple[str, ...], str] = {}
    for sid, s in statements.items():
        for key, said in parse(s.text):
            keys[sid].add(key)
            paraphrase[key] = said
    rng = random.Random(seed)
    kinds: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for key in sorted(paraphrase):
        kinds[key[0]].append(key)
    # the same number of queries of each kind (a kind with fewer keys gives them all)
    sample = [k for _, keys_of in sorted(kinds.items()) for k in rng.sample(keys_of, min(len(keys_of), queries // 10))]
    cases = [(paraphrase[key], key) for key in sample]
    cases.append((PROBE, ("trucks to town", "Goma")))
    found = precision = 0.0
    by_kind: dict[str, list[int]] = defaultdict(list)
    for query, wanted in tqdm(cases, desc="rank", unit="query", mininterval=5):
        hit = sum(wanted in keys[e.statement.id] for e in archive.retrieve(query, 5))
        found += hit > 0
        precision += hit / 5
        by_kind[wanted[0]].append(hit > 0)
    probe_hits = [e for e in archive.retrieve(PROBE, 5)]
    return {
        "statements": len(statements),
        "queries": len(cases),
        "recall_at_5": round(found / len(cases), 4),
        "precision_at_5": round(precision / len(cases), 4),
        "recall_at_5_by_template": {k: round(sum(v) / len(v), 4) for k, v in sorted(by_kind.items())},
        "statements_with_goma": sum("goma" in s.text.lower() for s in statements.values()),
        "probe_top5": [
            {
                "text": e.text,
                "similarity": e.similarity,
                "score": e.relevance,
                "says_it": ("trucks to town", "Goma") in keys[e.statement.id],
            }
            for e in probe_hits
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generator", type=Path, required=True, help="the synthetic archive generator (gen.py)")
    parser.add_argument("--sizes", default="1000,3500,10000,50000", help="generated articles at each step")
    parser.add_argument(
        "--queries", type=int, default=300, help="paraphrase queries at each size, a tenth of each kind"
    )
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--work", type=Path, help="build the archive here (default: a temporary directory)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    work = args.work or Path(tempfile.mkdtemp())
    work.mkdir(parents=True, exist_ok=True)
    articles = generate(args.generator, sizes[-1], work / "generated.jsonl")
    archive = Archive(work / "archive", stance=CueStance())
    seed = json.loads(SEED_ARTICLE.read_text(encoding="utf-8"))
    archive.ingest([Article(**seed)])
    figures: dict[str, Any] = {"sizes": {}}
    done = 0
    for size in sizes:
        done = max(done, min(size, archive.stats()["articles"] - 1))  # an archive kept in --work is grown on
        for start in tqdm(range(done, size, 256), desc=f"ingest to {size}", unit="batch", mininterval=5):
            archive.ingest(articles[start : min(size, start + 256)], save=False)
        archive.save()
        done = size
        figures["sizes"][str(size)] = measure(archive, args.queries, args.seed)
        print(
            json.dumps({size: {k: v for k, v in figures["sizes"][str(size)].items() if k != "probe_top5"}}),
            file=sys.stderr,
        )
    archive.close()
    emit(figures, args.json)


if __name__ == "__main__":
    main()
