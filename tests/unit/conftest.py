"""The unit tier loads no model: an archive here is `fake_archive` / `fake_seeded` (tests/conftest.py). A unit test
that asks for a real encoder or stance model, or constructs one, fails with a pointer to the integration tier."""

import pytest

from factdesk.index.embed import OnnxEmbedder, TorchEmbedder
from factdesk.index.stance.model import StanceModel

MOVE = "use the fakes (fake_embedder, fake_archive, fake_seeded), or move the test to tests/integration"


def refuse(what: str) -> None:
    pytest.fail(f"a unit test loaded {what}: {MOVE}")


@pytest.fixture(scope="session")
def embedder() -> None:
    refuse("the onnx encoder")


@pytest.fixture(scope="session")
def torch_embedder() -> None:
    refuse("the torch encoder")


@pytest.fixture(scope="session")
def stance_classifier() -> None:
    refuse("the stance model")


@pytest.fixture(autouse=True)
def no_models(monkeypatch: pytest.MonkeyPatch) -> None:
    for model in (OnnxEmbedder, TorchEmbedder, StanceModel):
        monkeypatch.setattr(model, "__init__", lambda self, *args, **kwargs: refuse(type(self).__name__))
