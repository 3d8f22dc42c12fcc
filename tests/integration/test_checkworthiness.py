"""The check-worthiness model: shipped, scoring news drafts as a desk needs, stored with every statement, and
rescored without re-embedding."""

import json
from pathlib import Path

import numpy as np
import pytest

from factdesk.index.archive import Archive
from factdesk.index.embed import Embedder
from factdesk.index.ingest.articles import Article
from factdesk.index.ingest.checkworthy import FEATURES, NGRAM_BUCKETS, load_model, ngram_buckets
from factdesk.index.stance import CueStance

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NEWS = json.loads((FIXTURES / "checkworthiness_news.json").read_text(encoding="utf-8"))
ISSUE_DRAFT = " ".join(s["text"] for s in NEWS["drafts"][0])


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.dimension = inner.dimension
        self.name = inner.name
        self.embedded = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.embedded += len(texts)
        return self.inner.embed(texts)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_the_shipped_model_says_where_it_comes_from() -> None:
    model = load_model()
    assert 0 < model.default_level < 1
    assert model.embedding.shape == (384,) and model.cues.shape == (len(FEATURES),)
    assert model.ngrams.shape == (NGRAM_BUCKETS,)
    assert "ClaimBuster" in model.about["source"] and model.about["held_out"]["folds"] == 4
    assert ngram_buckets("") == {} and len(ngram_buckets("Goma fell")) == 3  # two words and their pair


def test_a_drafts_facts_are_checked_and_its_opinions_promises_and_questions_are_not(
    tmp_path: Path, embedder: Embedder, seed_article: Article
) -> None:
    archive = Archive(tmp_path / "data", embedder=embedder, stance=CueStance())
    archive.ingest([seed_article])
    # every sentence of the draft that hid two false claims is checked at the default level
    checked = archive.check_document(ISSUE_DRAFT)
    assert [d.statement.text for d in checked] == [s["text"] for s in NEWS["drafts"][0]]
    assert all(d.result is not None for d in checked), [
        (d.statement.text, d.statement.checkworthiness) for d in checked
    ]
    for draft in NEWS["drafts"][1:]:
        done = archive.check_document("\n\n".join(s["text"] for s in draft))
        for d, labelled in zip(done, draft, strict=True):
            if labelled["kind"] in ("opinion", "promise", "question"):
                assert d.result is None, (labelled, d.statement.checkworthiness)
            elif labelled["checkworthy"]:
                assert d.result is not None, (labelled, d.statement.checkworthiness)
    archive.close()


def test_statements_and_hits_carry_the_models_score_and_rescore_restores_it(
    tmp_path: Path, embedder: Embedder, seed_article: Article
) -> None:
    counting = CountingEmbedder(embedder)
    archive = Archive(tmp_path / "data", embedder=counting, stance=CueStance())
    archive.ingest([seed_article])
    _, statements = archive.article(seed_article.resolved_id())
    expected = load_model().scores(
        [s.text for s in statements], [s.speaker for s in statements], embedder.embed([s.text for s in statements])
    )
    assert [s.checkworthiness for s in statements] == pytest.approx(expected, abs=1e-3)
    hit = archive.retrieve("bombs landed in Rubavu", 1)[0]
    assert hit.statement.checkworthiness == pytest.approx(expected[statements.index(hit.statement)], abs=1e-3)

    # an archive scored by something else (the old heuristic, say) is rescored from its stored vectors
    archive.store.set_checkworthiness({s.id: 0.123 for s in statements})
    before = counting.embedded
    assert archive.rescore() == len(statements)
    assert counting.embedded == before  # nothing re-embedded
    _, again = archive.article(seed_article.resolved_id())
    assert [s.checkworthiness for s in again] == pytest.approx(expected, abs=1e-3)
    archive.close()
