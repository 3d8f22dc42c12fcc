"""The FTS5 index over statement text: BM25 search, and a statement's terms as the index splits them."""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from factdesk.index.storage.database import Tables
from factdesk.index.text.lexicon import query_words

FREQUENT = 1_000  # statements a query word may occur in and still take part in BM25 (see lexical_search)


# per connection: the index's terms with their statement counts, and a scratch index that splits texts into terms
# exactly as the full-text index does (porter stems, case folded), so a query's terms and a statement's agree
TERM_TABLES = """
CREATE VIRTUAL TABLE IF NOT EXISTS temp.statement_terms USING fts5vocab(main, statements_fts, row);
CREATE VIRTUAL TABLE IF NOT EXISTS temp.scratch USING fts5(text, tokenize='porter unicode61');
CREATE VIRTUAL TABLE IF NOT EXISTS temp.scratch_terms USING fts5vocab(temp, scratch, instance);
"""


class FullText(Tables):
    def lexical_search(self, query: str, k: int) -> list[tuple[int, float]]:
        """BM25 over statement text; any query word may match (OR), rarer words weigh more.

        Words found in more than FREQUENT statements are left out: they hardly change the ranking (low IDF),
        but ranking every statement that holds one grows with the archive (0.6 s a query at 1M statements).
        A query made only of such words returns nothing; the vectors decide alone.
        """
        with self._lock:
            words = [w for w in query_words(query) if self._matches_at_most(w, FREQUENT)]
            if not words:
                return []
            match = " OR ".join(f'"{w}"' for w in words)
            rows = self._db.execute(
                "SELECT rowid, bm25(statements_fts) FROM statements_fts WHERE statements_fts MATCH ? "
                "ORDER BY bm25(statements_fts) LIMIT ?",
                (match, k),
            ).fetchall()
        return [(int(r[0]), -float(r[1])) for r in rows]

    def terms(self, texts: Mapping[int, str]) -> dict[int, Counter[str]]:
        """Each text's index terms with how often it holds each (as the full-text index splits and stems them)."""
        found: dict[int, Counter[str]] = {key: Counter() for key in texts}
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany("INSERT INTO temp.scratch(rowid, text) VALUES (?, ?)", texts.items())
                for doc, term in self._db.execute("SELECT doc, term FROM temp.scratch_terms"):
                    found[int(doc)][str(term)] += 1
            finally:
                self._db.execute("ROLLBACK")
        return found

    def term_counts(self, terms: Iterable[str]) -> tuple[int, dict[str, int]]:
        """(statements in the index, how many of them hold each term); terms as `terms` gives them."""
        wanted = sorted(set(terms))
        with self._lock:
            total = self._db.execute("SELECT coalesce(max(id), 0) FROM statements").fetchone()[0]
            counts = dict.fromkeys(wanted, 0)
            for term in wanted:
                row = self._db.execute("SELECT doc FROM temp.statement_terms WHERE term = ?", (term,)).fetchone()
                if row:
                    counts[term] = int(row[0])
        return int(total), counts

    def holding_all(self, words: Sequence[str], k: int) -> list[int]:
        """The newest `k` statements that hold every one of `words` (query words the archive has, however common):
        a query made only of common words finds its statements here, where `lexical_search` leaves such words
        out. No ranking, so no cost that grows with the words' frequency beyond the match."""
        if len(words) < 2:  # one word: lexical_search has it, ranked, if it is rare enough to matter
            return []
        match = " AND ".join(f'"{w}"' for w in words)
        with self._lock:
            rows = self._db.execute(
                "SELECT rowid FROM statements_fts WHERE statements_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
                (match, k),
            ).fetchall()
        return [int(r[0]) for r in rows]

    def _matches_at_most(self, word: str, n: int) -> bool:
        """Whether `word` occurs in 1 to n statements; costs at most n rows, however common the word is."""
        found = self._db.execute(
            "SELECT count(*) FROM (SELECT 1 FROM statements_fts WHERE statements_fts MATCH ? LIMIT ?)",
            (f'"{word}"', n + 1),
        ).fetchone()[0]
        return 0 < int(found) <= n
