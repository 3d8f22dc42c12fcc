"""The int8 ONNX encoder gives the torch reference's vectors (cosine ≥ 0.98 on every sentence)."""

import numpy as np
import pytest

from factdesk.index.embed import DIMENSION, OnnxEmbedder, exported_encoder, load_embedder
from factdesk.index.errors import InvalidInput
from factdesk.index.ingest.segment import split_article

SENTENCES = [
    "M23 rebels have captured Goma.",
    "Goma was captured by M23.",
    "About 50 civilians were injured when two bombs landed in Mbugangari.",
    "The central bank raised its main interest rate by 0.25 percentage points on Thursday.",
    "Health officials reported 1,204 new cases of cholera in the province since January.",
    "The minister denied that the contract had been awarded without a tender.",
    "Schools in Rubavu were told to close until further notice.",
    "Goma",
    "“We will not negotiate with terrorists,” the spokesperson said.",
    "Prices of maize flour in Kinshasa doubled between March and May 2024, according to the WFP.",
]


def test_onnx_matches_torch_on_every_sentence(
    embedder, torch_embedder, seed_article, sentences, sentence_vectors
) -> None:
    ours = SENTENCES + [s.text for s in split_article(seed_article.text)]
    onnx = np.concatenate([embedder.embed(ours), sentence_vectors])
    torch = torch_embedder.embed(ours + sentences)
    assert embedder.encoder == "onnx-int8" and onnx.shape == torch.shape == (len(ours) + len(sentences), DIMENSION)
    cosine = (onnx * torch).sum(1)
    assert cosine.min() >= 0.98, sorted(zip(cosine.round(4), ours + sentences, strict=True))[:3]
    assert abs(float((onnx * onnx).sum(1).mean()) - 1) < 1e-5  # normalised
    # order and batch do not change a vector: activations are quantised per token
    alone = embedder.embed([ours[3]])[0]
    assert np.allclose(alone, onnx[3], atol=1e-6)
    one_at_a_time = OnnxEmbedder(batch_size=1).embed(ours)
    assert np.allclose(one_at_a_time, onnx[: len(ours)], atol=1e-6)


def test_export_is_cached_and_atomic(tmp_path) -> None:
    path = exported_encoder(tmp_path)
    stamp = path.stat().st_mtime_ns
    assert exported_encoder(tmp_path) == path and path.stat().st_mtime_ns == stamp
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name, f"{path.name}.lock"]  # no temp files left
    assert path.stat().st_size < 70 * 2**20


def test_unknown_encoder_is_refused() -> None:
    with pytest.raises(InvalidInput, match="encoder must be one of onnx, torch"):
        load_embedder("tensorflow")
