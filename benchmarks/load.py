"""Load test against a running server: concurrent clients mixing check, search and ingest.

    factdesk serve --port 8000 &
    python benchmarks/load.py --url http://127.0.0.1:8000 --clients 50 --duration 60

Every request must succeed and every acknowledged write must be readable afterwards (same statement count,
store and index agree). Prints throughput and latency percentiles per operation as JSON; exits 1 on any
error or lost write.
"""

import argparse
import asyncio
import random
import sys
import time
from collections import defaultdict
from typing import Any

import httpx
import numpy as np
from common import emit

CLAIMS = [
    "M23 rebels have captured Goma",
    "M23 rebels failed to capture Goma",
    "Rwanda ordered schools and businesses in Rubavu to close",
    "15 civilians were injured in Rubavu",
    "The border between Rwanda and Congo is closed",
    "Kagame accused Congo of supporting the FDLR",
]
QUERIES = ["Goma airport", "shelling in Rubavu", "Kagame statement", "FDLR", "border crossing", "civilians injured"]


def article(client: int, n: int) -> dict[str, str]:
    place = f"Kivu{client}q{n}"
    return {
        "id": f"load-{client}-{n}",
        "text": (
            f"Traders in {place} reported that fuel prices rose by {10 + n % 40} percent this week. "
            f"Local officials said {2 + n % 7} lorries had been stopped at the border. "
            f"According to the governor, the market in {place} will reopen on Monday."
        ),
        "publisher": "Load Wire",
        "published_at": "2025-02-03",
    }


async def client_loop(
    index: int,
    http: httpx.AsyncClient,
    deadline: float,
    mix: dict[str, float],
    rng: random.Random,
    timings: dict[str, list[float]],
    errors: list[str],
    written: dict[str, int],
) -> None:
    ops, weights = list(mix), list(mix.values())
    n = 0
    while time.monotonic() < deadline:
        op = rng.choices(ops, weights)[0]
        started = time.perf_counter()
        try:
            if op == "check":
                r = await http.post("/v1/check", json={"claim": rng.choice(CLAIMS), "top_k": 5})
            elif op == "search":
                r = await http.get("/v1/search", params={"q": rng.choice(QUERIES), "k": 10})
            else:
                body = article(index, n)
                n += 1
                r = await http.post("/v1/articles", json=body)
                if r.status_code == 201:
                    written[body["id"]] = r.json()["articles"][0]["statements"]
        except httpx.HTTPError as e:
            errors.append(f"{op}: {type(e).__name__}: {e}")
            continue
        timings[op].append(time.perf_counter() - started)
        if r.status_code >= 300:
            errors.append(f"{op}: HTTP {r.status_code}: {r.text[:200]}")


async def verify(http: httpx.AsyncClient, written: dict[str, int], errors: list[str]) -> list[str]:
    """Ids of acknowledged articles that cannot be read back whole."""
    lost = []
    for article_id, n in written.items():
        try:
            r = await http.get(f"/v1/articles/{article_id}")
        except httpx.HTTPError as e:
            errors.append(f"verify {article_id}: {type(e).__name__}: {e}")
            lost.append(article_id)
            continue
        if r.status_code != 200 or len(r.json()["statements"]) != n:
            lost.append(article_id)
    return lost


def percentiles(values: list[float]) -> dict[str, float]:
    ms = np.array(values) * 1000
    return {
        "count": len(values),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "max_ms": round(float(ms.max()), 1),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    mix = {"check": args.check, "search": args.search, "ingest": args.ingest}
    headers = {"Authorization": f"Bearer {args.key}"} if args.key else {}
    # idle connections are dropped before the server's 5 s keep-alive timeout, so no request races a close
    limits = httpx.Limits(max_connections=args.clients, keepalive_expiry=2.0)
    timings: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    written: dict[str, int] = {}
    async with httpx.AsyncClient(base_url=args.url, headers=headers, timeout=args.timeout, limits=limits) as http:
        before = (await http.get("/health")).json()
        started = time.monotonic()
        deadline = started + args.duration
        await asyncio.gather(
            *(
                client_loop(i, http, deadline, mix, random.Random(args.seed + i), timings, errors, written)
                for i in range(args.clients)
            )
        )
        elapsed = time.monotonic() - started
        lost = await verify(http, written, errors)
        after = (await http.get("/health")).json()
    total = sum(len(v) for v in timings.values())
    return {
        "clients": args.clients,
        "duration_s": round(elapsed, 1),
        "requests": total,
        "throughput_rps": round(total / elapsed, 1),
        "errors": len(errors),
        "first_errors": errors[:5],
        "writes_acknowledged": len(written),
        "writes_lost": len(lost),
        "articles_added": after["articles"] - before["articles"],
        "store_matches_index": after["statements"] == after["vectors"],
        "all": percentiles([t for v in timings.values() for t in v]) if total else {},
        **{op: percentiles(v) for op, v in sorted(timings.items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="base URL of a running factdesk server")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60, help="seconds")
    parser.add_argument("--check", type=float, default=0.5, help="share of check requests")
    parser.add_argument("--search", type=float, default=0.3, help="share of search requests")
    parser.add_argument("--ingest", type=float, default=0.2, help="share of single-article ingests")
    parser.add_argument("--key", help="API key, when the server requires one")
    parser.add_argument("--timeout", type=float, default=120, help="per-request timeout in seconds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="also write the report to this file")
    args = parser.parse_args(argv)
    report = asyncio.run(run(args))
    emit(report, args.json)
    ok = not report["errors"] and not report["writes_lost"] and report["store_matches_index"]
    ok = ok and report["articles_added"] == report["writes_acknowledged"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
