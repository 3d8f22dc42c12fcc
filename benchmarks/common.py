"""Pieces the benchmark scripts share (each script runs as `python benchmarks/NAME.py`, so this imports as `common`)."""

import json
import platform
from pathlib import Path
from typing import Any

from tqdm import tqdm

from index.archive import Archive, Article
from index.onnxrt import available_cores
from index.stance import CueStance


def machine() -> dict[str, Any]:
    """The CPU the figures were measured on. Speed figures compare only between runs on the same CPU: the same
    scripts ran about half as fast on a first-generation AMD EPYC (family 23, model 1: AVX2 in 128-bit halves)
    as on the box of earlier runs."""
    info: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                key, _, value = line.partition(":")
                info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    simd = [
        flag
        for flag in ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")
        if flag in info.get("flags", "").split()
    ]
    return {
        "cpu": info.get("model name") or platform.processor() or platform.machine(),
        "cpu_family_model": f"{info.get('cpu family', '?')}/{info.get('model', '?')}",
        "simd": simd,
        "cores": available_cores(),
    }


def emit(figures: dict[str, Any], path: Path | str | None) -> None:
    """Print the figures as JSON, with the machine they were measured on, and write them to `path` if given."""
    figures = figures | {"machine": machine()}
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
