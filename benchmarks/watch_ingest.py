"""Ingest speed with watched claims: statements/s with 0, 1 and 5 watches, on the test fixtures' sentences.

    python benchmarks/watch_ingest.py [--sentences 2000] [--per-article 10]

Each run ingests the same articles into a fresh archive (temporary directory) in batches of 64 articles, as
`factdesk ingest` does; the watches' claims are taken from the sentences, so some statements match.
"""

import argparse
import gzip
import sys
import tempfile
import time
from pathlib import Path

from factdesk.index.archive import Archive
from factdesk.index.embed import load_embedder
from factdesk.index.ingest.articles import Article
from factdesk.index.stance import load_stance
from factdesk.index.watch import new_watch

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "sentences.txt.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--per-article", type=int, default=10)
    args = parser.parse_args()
    with gzip.open(FIXTURES, "rt", encoding="utf-8") as f:
        sentences = f.read().splitlines()[: args.sentences]
    articles = [
        Article(" ".join(sentences[i : i + args.per_article]), id=f"a{i}")
        for i in range(0, len(sentences), args.per_article)
    ]
    embedder, stance = load_embedder("onnx"), load_stance("auto")
    for watches in (0, 1, 5):
        with tempfile.TemporaryDirectory() as tmp:
            archive = Archive(Path(tmp), embedder=embedder, stance=stance)
            for claim in sentences[-watches:] if watches else []:
                archive.store.create_watch(new_watch(claim, "http://127.0.0.1:9/hook", None))
            started = time.perf_counter()
            statements = sum(
                o.statements for i in range(0, len(articles), 64) for o in archive.ingest(articles[i : i + 64])
            )
            seconds = time.perf_counter() - started
            with archive.store.transaction() as db:
                queued = db.execute("SELECT count(*) FROM deliveries").fetchone()[0]
            archive.close()
        print(
            f"{watches} watches: {statements / seconds:.0f} statements/s ({statements} in {seconds:.1f} s), "
            f"{queued} deliveries queued",
            file=sys.stdout,
            flush=True,
        )


if __name__ == "__main__":
    main()
