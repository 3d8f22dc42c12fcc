"""Earlier fact-checks with their claims' vectors."""

from collections.abc import Sequence

from factdesk.index.factchecks import FactCheck
from factdesk.index.storage.database import Tables

SCHEMA = """
INSERT OR IGNORE INTO meta VALUES ('fact_checks_generation', 0);
CREATE TABLE IF NOT EXISTS fact_checks (
    id TEXT PRIMARY KEY,
    claim_reviewed TEXT NOT NULL,
    rating TEXT NOT NULL,
    url TEXT NOT NULL,
    reviewer TEXT, rating_value REAL, best_rating REAL, worst_rating REAL, date_published TEXT, claimant TEXT,
    language TEXT,
    vector BLOB NOT NULL,  -- the claim's embedding, float32
    ingested_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
"""
FACT_CHECK_FIELDS = tuple(FactCheck.__dataclass_fields__)


class FactCheckTables(Tables):
    def write_fact_checks(self, checks: Sequence[tuple[FactCheck, bytes]]) -> list[str]:
        """Upsert fact-checks (with their claim vectors) by id in one transaction: created | updated | unchanged."""
        statuses = []
        with self.transaction() as db:
            for check, vector in checks:
                row = db.execute("SELECT * FROM fact_checks WHERE id = ?", (check.id,)).fetchone()
                values = {f: getattr(check, f) for f in FACT_CHECK_FIELDS}
                if row and all(row[f] == v for f, v in values.items()):
                    statuses.append("unchanged")
                    continue
                db.execute(
                    f"INSERT INTO fact_checks ({', '.join(FACT_CHECK_FIELDS)}, vector) "
                    f"VALUES ({', '.join('?' * len(FACT_CHECK_FIELDS))}, ?) ON CONFLICT(id) DO UPDATE SET "
                    f"{', '.join(f'{f} = excluded.{f}' for f in FACT_CHECK_FIELDS)}, vector = excluded.vector",
                    (*values.values(), vector),
                )
                statuses.append("updated" if row else "created")
            if any(s != "unchanged" for s in statuses):
                db.execute("UPDATE meta SET value = value + 1 WHERE key = 'fact_checks_generation'")
        return statuses

    def fact_checks_generation(self) -> int:
        """Bumped by every write of fact-checks: readers in other processes reload them when it changes."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'fact_checks_generation'").fetchone()
        return int(row[0])

    def fact_checks(self) -> list[tuple[FactCheck, bytes]]:
        with self._lock:
            rows = self._db.execute(f"SELECT {', '.join(FACT_CHECK_FIELDS)}, vector FROM fact_checks").fetchall()
        return [(FactCheck(**{f: row[f] for f in FACT_CHECK_FIELDS}), row["vector"]) for row in rows]
