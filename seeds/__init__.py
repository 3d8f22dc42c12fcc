"""The default corpus: article records that `factdesk serve` ingests into an empty data directory."""

from pathlib import Path

DIRECTORY = Path(__file__).parent


def seed_files() -> list[Path]:
    return sorted(p for p in DIRECTORY.iterdir() if p.suffix in (".json", ".jsonl"))
