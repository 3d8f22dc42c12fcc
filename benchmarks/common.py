"""Pieces the benchmark scripts share (each script runs as `python benchmarks/NAME.py`, so this imports as `common`)."""

import json
from pathlib import Path
from typing import Any

from tqdm import tqdm

from index.archive import Archive, Article
from index.stance import CueStance


def emit(figures: dict[str, Any], path: Path | str | None) -> None:
    """Print the figures as JSON and, when a path is given, write them there too."""
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
