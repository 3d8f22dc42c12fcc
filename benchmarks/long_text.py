"""What a crafted statement or claim costs the stance reader: the seconds `NliStance.classify` takes for one
statement of about a megabyte (the longest article is 1,000,000 characters, and a sentence may be all of it) against
an ordinary claim, and against a claim of the longest length made of figures, bounds and dates.

    python benchmarks/long_text.py [--chars 1000000] [--json OUT]

The statements are runs of what the text steps look for (names, capitals, figures, dates, asides of one name); each
figure is the best of three runs. A statement's cues, restatements, frames and asides are read in its first
`cues.READ_CHARS` characters, and a claim's figures, dates, restatements and asides are capped, so these stay near an
ordinary check's stance time whatever the text.
"""

import argparse
import json
import time
from pathlib import Path

from factdesk.index.stance import NliStance

CLAIMS = {
    "ordinary": "More than 20 people were killed in Goma before 2015, rebels said",
    "definition": "Goma is the capital of South Kivu",
    "bounds": ("more than 12 people before 2015, " * 60)[:2000],
    "asides": ("Goma is the capital, " * 95)[:2000],
}
UNITS = {
    "names": "Aa b ",
    "one word": "A",
    "figures": "12 people, ",
    "dates": "in March 2015, ",
    "asides": "Goma, the capital, ",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chars", type=int, default=1_000_000, help="the length of each crafted statement")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    stance = NliStance()
    stance.classify(CLAIMS["ordinary"], ["M23 rebels have captured Goma."], [0.9])  # warm-up
    figures: dict[str, dict[str, float]] = {}
    for unit_name, unit in UNITS.items():
        statement = (unit * (args.chars // len(unit) + 1))[: args.chars]
        for claim_name, claim in CLAIMS.items():
            runs = []
            for _ in range(3):
                start = time.perf_counter()
                stance.classify(claim, [statement], [0.9])
                runs.append(time.perf_counter() - start)
            figures.setdefault(unit_name, {})[claim_name] = round(min(runs), 3)
        print(f"{unit_name:10} " + "  ".join(f"{c} {s:.3f} s" for c, s in figures[unit_name].items()))
    if args.json:
        args.json.write_text(json.dumps({"chars": args.chars, "seconds": figures}, indent=2) + "\n")


if __name__ == "__main__":
    main()
