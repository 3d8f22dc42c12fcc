import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fakes import WordEmbedder

from factdesk.index import onnxrt
from factdesk.index.archive import Archive
from factdesk.index.embed import Embedder, load_embedder
from factdesk.index.ingest.articles import Article
from factdesk.index.stance import CueStance, load_stance

ROOT = Path(__file__).resolve().parents[1]
SEED = json.loads((ROOT / "seeds" / "goma-2025-01.json").read_text(encoding="utf-8"))
FIXTURES = Path(__file__).with_name("fixtures")


@pytest.fixture(scope="session", autouse=True)
def signed_copies_in_a_folder_of_the_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The int8 models' signed copies (`onnxrt.signed_copy`) go to a folder of this run, not the user's cache: the
    tests load many models once. (The encoder's export stays in the cache, made once for every run.)"""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(onnxrt, "cache_dir", lambda: folder)
        yield


@pytest.fixture(scope="session")
def seed_article() -> Article:
    return Article(**SEED)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return load_embedder("onnx")


@pytest.fixture(scope="session")
def torch_embedder() -> Embedder:
    return load_embedder("torch")


@pytest.fixture(scope="session")
def sentences() -> list[str]:
    """4,200 varied real sentences (see fixtures/README.md)."""
    with gzip.open(FIXTURES / "sentences.txt.gz", "rt", encoding="utf-8") as f:
        return f.read().splitlines()


@pytest.fixture(scope="session")
def sentence_vectors(embedder: Embedder, sentences: list[str]) -> np.ndarray:
    return embedder.embed(sentences)


@pytest.fixture(scope="session")
def stance_classifier():
    return load_stance("auto")


@pytest.fixture
def archive(tmp_path: Path, embedder: Embedder, stance_classifier) -> Iterator[Archive]:
    a = Archive(tmp_path / "data", embedder=embedder, stance=stance_classifier)
    yield a
    a.close()


@pytest.fixture
def seeded(archive: Archive, seed_article: Article) -> Archive:
    archive.ingest([seed_article])
    return archive


@pytest.fixture
def cue_archive(tmp_path: Path, embedder: Embedder, seed_article: Article) -> Iterator[Archive]:
    a = Archive(tmp_path / "cues", embedder=embedder, stance=CueStance())
    a.ingest([seed_article])
    yield a
    a.close()


# The fakes: for tests whose subject is not the model (storage, ids, locking, the API's plumbing). No model loads:
# WordEmbedder stands in for the sentence encoder, CueStance for the stance model.


@pytest.fixture
def fake_embedder() -> WordEmbedder:
    return WordEmbedder()


@pytest.fixture
def fake_archive(tmp_path: Path, fake_embedder: WordEmbedder) -> Iterator[Archive]:
    a = Archive(tmp_path / "data", embedder=fake_embedder, stance=CueStance())
    yield a
    a.close()


@pytest.fixture
def fake_seeded(fake_archive: Archive, seed_article: Article) -> Archive:
    fake_archive.ingest([seed_article])
    return fake_archive
