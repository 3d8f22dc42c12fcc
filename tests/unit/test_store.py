"""SQLite store: BM25 search leaves out words so common that ranking them would cost more than it tells."""

from pathlib import Path

from factdesk.index.ingest.segment import Statement
from factdesk.index.storage.fulltext import FREQUENT
from factdesk.index.storage.sqlite import Store


def test_lexical_search_leaves_out_words_found_in_too_many_statements(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.sqlite3")
    texts = [f"Officials counted market stalls in district {i}." for i in range(FREQUENT + 1)]
    texts += ["Officials counted 40 stalls in Nyamirambo.", "The Nyamirambo market reopened."]
    statements = [Statement(i, 0, len(t), t, None, None, 0.5) for i, t in enumerate(texts)]
    store.write_articles([("a", " ".join(texts), "h", {}, statements)], {})

    hits = store.lexical_search("officials counted stalls in Nyamirambo", 10)
    # "officials", "counted" and "stalls" occur in over FREQUENT statements: only "Nyamirambo" ranks
    assert {store.statements([sid])[sid].text for sid, _ in hits} == set(texts[-2:])
    assert store.lexical_search("officials counted market stalls", 10) == []  # the vectors decide alone
    assert [sid for sid, _ in store.lexical_search("district 7", 5)][:1] == [8]  # numbers are words too
    store.close()
