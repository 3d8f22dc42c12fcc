"""Ingest and check at scale, on a synthetic archive grown to each size in turn (10k, 100k, 1M statements).

    python benchmarks/scale.py --sizes 10000,100000,1000000 [--data-dir DIR] [--stance auto|cues] [--json OUT]

The archive: articles of 8 statements written from 12 news templates (who reported what, where, when, how
many), every slot filled from fixed word lists by a seeded generator, so texts repeat their shapes but rarely
their words (place and person names are made of two random parts). For each size the archive grows by ingest
in this process (split, embed, store, index; vector file saved when due, as in the server), timed, with the
process's peak RSS. Then `factdesk serve` starts on the archive as its own process, and /v1/check is timed
with 1 client and with 16 concurrent clients (stance on unless --stance cues); claims are template sentences
with fresh slot values, so some agree with archive statements and some contradict them. The server's RSS is
read from /proc after the runs.
"""

import argparse
import asyncio
import json
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from common import emit
from tqdm import tqdm

from factdesk.index.archive import Archive
from factdesk.index.embed import load_embedder
from factdesk.index.ingest.articles import Article
from factdesk.index.stance import CueStance

ROOT = Path(__file__).resolve().parents[1]
FIRST = "Amina Jean Eric Grace Paul Claude Aline Patrick Diane Samuel Chantal Innocent Ruth Emmanuel Alice".split()
LAST = "Mugisha Uwase Habimana Niyonzima Kabila Mukamana Nsengiyumva Ingabire Tshisekedi Bizimana Kayitesi".split()
PLACE_A = "Ki Ru Ma Nya Bu Go Mu Ka Ngo Sa Lu Bi Ta Rwa Ba Mwe".split()
PLACE_B = "vu bavu sanze gara tare ma kungu hinda zi rongo mbi sozi hanga tovu lindi".split()
ORGS = [
    "the health ministry", "the UN refugee agency", "the army", "local officials", "the Red Cross", "police",
    "the governor's office", "a rebel spokesman", "the electoral commission", "the central bank",
]  # fmt: skip
GOODS = ["maize", "fuel", "cement", "beans", "sugar", "cooking oil", "rice", "charcoal"]
EVENTS = ["market", "rally", "football match", "funeral", "vaccination drive", "peace talks", "trade fair"]
MONTHS = "January February March April May June July August September October November December".split()
TEMPLATES = [
    "{org} said {n} civilians were injured in {place} on {day}.",
    "{person}, the mayor of {place}, announced that {n} schools would reopen in {month}.",
    "According to {org}, the price of {good} in {place} rose by {n} percent in {month} {year}.",
    "{person} denied that troops had entered {place} in {month}.",
    "The {event} in {place} drew about {n} people, {org} said.",
    "{n} families fled {place} after fighting near the border, {org} reported.",
    "{person} was elected governor of {place} with {n} percent of the vote in {year}.",
    "Traders in {place} said the road to {place2} had been closed for {n} days.",
    "{org} delivered {n} tonnes of {good} to {place} on {day}.",
    "Rebels captured {place} on {day}, {person} told reporters.",
    "The clinic in {place} treated {n} cholera patients in {month} {year}.",
    "{person} said the {event} in {place} would be postponed until {month}.",
]
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


def fill(template: str, rng: random.Random) -> str:
    return template.format(
        org=rng.choice(ORGS),
        n=rng.randint(2, 900),
        place=rng.choice(PLACE_A) + rng.choice(PLACE_B),
        place2=rng.choice(PLACE_A) + rng.choice(PLACE_B) + rng.choice(["", "ni", "ro"]),
        person=f"{rng.choice(FIRST)} {rng.choice(LAST)}{rng.choice(['', '-' + rng.choice(LAST)])}",
        good=rng.choice(GOODS),
        event=rng.choice(EVENTS),
        month=rng.choice(MONTHS),
        year=rng.randint(1995, 2025),
        day=rng.choice(DAYS),
    )


def article(i: int, rng: random.Random) -> Article:
    text = " ".join(fill(rng.choice(TEMPLATES), rng) for _ in range(8))
    text = text[0].upper() + text[1:]
    return Article(
        text, id=f"syn-{i}", publisher=f"Wire {i % 40}", published_at=f"20{10 + i % 15}-0{1 + i % 9}-1{i % 9}"
    )


def claims(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        sentence = fill(rng.choice(TEMPLATES), rng)
        out.append(sentence[0].upper() + sentence[1:])
    return out


def rss_mb(pid: int | str = "self") -> dict[str, float]:
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    fields = {line.split(":")[0]: line.split()[1] for line in status if line.startswith(("VmRSS", "VmHWM"))}
    return {"rss_mb": round(int(fields["VmRSS"]) / 1024), "peak_rss_mb": round(int(fields["VmHWM"]) / 1024)}


def grow(archive: Archive, target: int, next_id: int, rng: random.Random) -> tuple[int, dict[str, float]]:
    """Ingest articles until the archive holds `target` statements."""
    have = archive.stats()["statements"]
    started = time.perf_counter()
    added = 0
    with tqdm(total=target - have, desc=f"ingest to {target:,}", unit="statement") as bar:
        while have + added < target:
            batch = [article(next_id + j, rng) for j in range(64)]
            next_id += len(batch)
            n = sum(o.statements for o in archive.ingest(batch))
            added += n
            bar.update(n)
    archive.save()
    elapsed = time.perf_counter() - started
    return next_id, {
        "statements_added": added,
        "seconds": round(elapsed, 1),
        "statements_per_s": round(added / elapsed, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


async def timed_checks(url: str, clients: int, per_client: int, texts: list[str]) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0

    async def client(c: int, http: httpx.AsyncClient) -> None:
        nonlocal errors
        for r in range(per_client):
            started = time.perf_counter()
            response = await http.post("/v1/check", json={"claim": texts[(c * per_client + r) % len(texts)]})
            latencies.append(time.perf_counter() - started)
            errors += response.status_code != 200

    async with httpx.AsyncClient(base_url=url, timeout=300) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(c, http) for c in range(clients)))
        elapsed = time.perf_counter() - started
    ms = np.array(latencies) * 1000
    return {
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "mean_ms": round(statistics.fmean(ms), 1),
        "throughput_rps": round(len(latencies) / elapsed, 1),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_and_check(data: Path, stance: str, requests: int, seed: int) -> dict[str, Any]:
    port = free_port()  # a fixed one could be another server's, which would then be measured instead
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "factdesk.service.cli", "--data-dir", str(data), "--stance", stance, "--quiet",
             "serve", "--port", str(port)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            started = time.perf_counter()
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"server exited: {log.read().decode()[-2000:]}")
                try:
                    health = httpx.get(f"{url}/health", timeout=5).json()
                    break
                except httpx.HTTPError:
                    time.sleep(0.5)
            startup_s = time.perf_counter() - started
            texts = claims(max(requests, 200), seed)
            asyncio.run(timed_checks(url, 4, 5, texts[-20:]))  # warm-up
            figures: dict[str, Any] = {"server_startup_s": round(startup_s, 1), "index": health["vector_index"]}
            figures["stance"] = f"{health['stance_mode']} ({health['stance_model']})"
            figures["check_1_client"] = asyncio.run(timed_checks(url, 1, requests, texts))
            figures["check_16_clients"] = asyncio.run(timed_checks(url, 16, max(1, 2 * requests // 16), texts))
            figures["server"] = rss_mb(process.pid)
            return figures
        finally:
            process.terminate()
            process.wait(timeout=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="archive sizes in statements, comma-separated")
    parser.add_argument("--data-dir", type=Path, help="keep the archive here (default: a temporary directory)")
    parser.add_argument(
        "--stance", default="auto", help="server stance: auto (the model), fast (the 3-layer model) or cues"
    )
    parser.add_argument("--requests", type=int, default=100, help="checks per measurement with one client")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    data = args.data_dir or Path(tempfile.mkdtemp(prefix="factdesk-scale-"))
    rng = random.Random(args.seed)
    stages = []
    try:
        archive = Archive(data, embedder=load_embedder("onnx"), stance=CueStance())
        next_id = 0
        for size in sizes:
            next_id, ingest = grow(archive, size, next_id, rng)
            archive.close()  # the server opens the archive as another process would
            stage = {"statements": size, "ingest": ingest, **serve_and_check(data, args.stance, args.requests, size)}
            stages.append(stage)
            print(json.dumps(stage), file=sys.stderr)
            archive = Archive(data, embedder=archive.embedder, stance=CueStance())
        archive.close()
    finally:
        if args.data_dir is None:
            shutil.rmtree(data, ignore_errors=True)
    figures = {"synthetic_archive": "8-statement articles from 12 news templates, seeded", "stages": stages}
    emit(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
