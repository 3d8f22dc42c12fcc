"""`train-stance --base`: a BERT encoder rebuilt in torch from an int8 ONNX export reproduces the export."""

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
WORDS = "a man woman is playing walking guitar dog on in the stage park music . , was were not no goma captured".split()
SENTENCES = ["A man is playing a guitar on the stage.", "A woman is walking the dog in the park.", "Goma was captured."]


def _tokenizer_json(path: Path) -> None:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    vocab = {token: i for i, token in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS])}
    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tokenizer.save(str(path))


class _States(torch.nn.Module):
    """The encoder's last hidden states, as an exported BertModel gives them."""

    def __init__(self, bert: torch.nn.Module) -> None:
        super().__init__()
        self.bert = bert

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        return self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state


@pytest.fixture(scope="module")
def tiny_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random 2-layer BERT (4 heads of 8) exported to ONNX and quantised by onnxruntime; no config.json."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    directory = tmp_path_factory.mktemp("tiny-bert")
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=len(WORDS) + 5,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=128,  # the training pairs' max_length
        initializer_range=0.3,  # large enough weights that attention is peaked and the heads' split shows
    )
    config._attn_implementation = "eager"
    model = _States(transformers.BertModel(config)).eval()
    with torch.no_grad():  # no two parameters alike (zero biases, unit LayerNorms), as in a trained model
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.05)
    ids = torch.tensor([[2, 5, 6, 3, 7, 3]])
    fp32 = directory / "model-fp32.onnx"
    torch.onnx.export(
        model,
        (),
        str(fp32),
        kwargs={"input_ids": ids, "attention_mask": torch.ones_like(ids), "token_type_ids": torch.zeros_like(ids)},
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"],
        dynamic_axes={n: {0: "batch", 1: "tokens"} for n in ("input_ids", "attention_mask", "token_type_ids")},
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(str(fp32), str(directory / "model.onnx"), weight_type=QuantType.QInt8)
    fp32.unlink()
    _tokenizer_json(directory / "tokenizer.json")
    return directory


def test_the_export_is_int8(tiny_export: Path) -> None:
    import onnx

    ops = {node.op_type for node in onnx.load(str(tiny_export / "model.onnx")).graph.node}
    assert "MatMulInteger" in ops  # the weights to read back are integers, not floats


def test_dequantised_encoder_reproduces_the_export(tiny_export: Path) -> None:
    from factdesk.training.onnx_base import agreement, load_base

    encoder, tokenizer = load_base(tiny_export)
    config = encoder.config
    assert (config.num_hidden_layers, config.hidden_size, config.intermediate_size) == (2, 32, 64)
    assert config.num_attention_heads == 4  # read from the graph's attention reshape: there is no config.json
    assert agreement(tiny_export, encoder, tokenizer, SENTENCES) >= 0.99


def test_a_wrong_head_count_is_caught(tiny_export: Path) -> None:
    """The agreement check can fail: the same weights split into 2 heads instead of 4 give other states."""
    from factdesk.training.onnx_base import agreement, load_base

    encoder, tokenizer = load_base(tiny_export)
    config = encoder.config
    config.num_attention_heads = 2
    wrong = transformers.BertModel(config, add_pooling_layer=False)
    wrong.load_state_dict(encoder.state_dict())
    assert agreement(tiny_export, wrong, tokenizer, SENTENCES) < 0.99


def test_the_base_tokenizer_is_its_own(tiny_export: Path) -> None:
    from factdesk.training.onnx_base import base_tokenizer

    enc = base_tokenizer(tiny_export)(["A man is playing"], ["Goma was captured"])
    word = {w: i + 5 for i, w in enumerate(WORDS)}  # after the five special tokens
    cls, sep = 2, 3
    premise = [word[w] for w in "a man is playing".split()]
    hypothesis = [word[w] for w in "goma was captured".split()]
    assert enc["input_ids"][0] == [cls, *premise, sep, *hypothesis, sep]
    assert enc["token_type_ids"][0] == [0] * 6 + [1] * 4  # the pair's segments, which the encoder is given


def test_training_starts_from_the_base(tiny_export: Path, tmp_path: Path) -> None:
    from factdesk.index.stance.model import StanceModel
    from factdesk.training.stance import TrainConfig, run

    out = tmp_path / "nli-tiny"
    config = TrainConfig(
        data=[FIXTURES / "nli_sample.jsonl"],
        out=out,
        base=tiny_export,
        batch_size=8,
        holdout=40,
        seed=3,
        max_steps=4,
        threads=min(2, os.cpu_count() or 1),
    )
    metrics = run(config, log=lambda _: None)
    assert metrics["training"]["encoder_layers"] == 2
    assert (
        json.loads((out / "tokenizer.json").read_text())["model"]["vocab"]
        == json.loads((tiny_export / "tokenizer.json").read_text())["model"]["vocab"]
    )
    assert "`tiny-bert" in (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    probs = StanceModel(out).predict([("A man is playing a guitar.", "A man is playing music.")])
    assert probs.shape == (1, 3)

    # a second run goes on from the first's export: its shape comes from the export, not from all-MiniLM-L6-v2
    again = tmp_path / "nli-tiny-2"
    metrics = run(replace(config, out=again, base=None, init=out), log=lambda _: None)
    assert metrics["training"]["encoder_layers"] == 2
    card = (again / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Trained in 2 runs" in card and f"--base {tiny_export}" in card and "`tiny-bert" in card
