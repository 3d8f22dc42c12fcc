import json
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from factdesk.index.stance import (
    OFF_TOPIC,
    NliStance,
    combine,
    load_stance,
    stance_name,
    with_aside,
    with_restatement,
)
from factdesk.index.stance.labels import LABELS
from factdesk.index.stance.model import (
    ACCURATE,
    DEFAULT,
    FAST,
    LARGE,
    MEMBERS,
    SHIPPED,
    EnsembleModel,
    StanceModel,
    load_model,
)
from factdesk.index.verdict import CALIBRATIONS, load_calibrator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PAIRS = [  # (premise, hypothesis, expected)
    ("Meanwhile, M23 rebels have captured Goma, the capital of North Kivu.", "Goma was captured by M23.", "entailment"),
    (
        "Meanwhile, M23 rebels have captured Goma, the capital of North Kivu.",
        "M23 failed to take Goma.",
        "contradiction",
    ),
    ("A man is playing a guitar on stage.", "A man is performing music.", "entailment"),
    ("A man is playing a guitar on stage.", "The man is sleeping in his bed.", "contradiction"),
    ("A woman is walking her dog in the park.", "The woman is on her way to work.", "neutral"),
    ("The minister resigned on Friday after weeks of protests.", "The minister is still in office.", "contradiction"),
    (
        "Rwanda ordered the temporary closure of schools and businesses in Rubavu.",
        "Schools in Rubavu were told to close.",
        "entailment",
    ),
]


@pytest.fixture(scope="module", params=[DEFAULT, SHIPPED, FAST, ACCURATE], ids=lambda p: p.name)
def model(request: pytest.FixtureRequest) -> StanceModel | EnsembleModel:
    return load_model(request.param)


@pytest.mark.parametrize("directory, most_mb", [(SHIPPED, 30), (FAST, 30), (LARGE, 40)], ids=["l6", "l3", "l12"])
def test_shipped_model_is_small_and_documented(directory: Path, most_mb: int) -> None:
    assert (directory / "model.onnx").stat().st_size <= most_mb * 2**20
    card = (directory / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "0 = entailment, 1 = neutral, 2 = contradiction" in card
    metrics = json.loads((directory / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["heldout_int8"]["overall"]["n"] >= 3000
    assert metrics["int8_fp32_agreement"] >= 0.98
    assert str(metrics["int8_fp32_agreement"]) in card


def test_the_accurate_model_is_the_mean_of_the_default_and_the_12_layer_model() -> None:
    pairs = [(p, h) for p, h, _ in PAIRS]
    mean = 0.5 * StanceModel(SHIPPED).predict(pairs) + 0.5 * StanceModel(LARGE).predict(pairs)
    accurate = load_model(ACCURATE)
    assert isinstance(accurate, EnsembleModel) and np.abs(accurate.predict(pairs) - mean).max() < 1e-6
    stance = load_stance("accurate")
    assert stance.name == stance_name("accurate") == ACCURATE.name
    card = (ACCURATE / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert SHIPPED.name in card and LARGE.name in card
    fits = {profile: load_calibrator(ACCURATE.name, profile) for profile in CALIBRATIONS}
    levels = {profile: fit.min_confidence for profile, fit in fits.items() if fit}
    assert f"(`general`, level {levels['general']:g}, and `news`, level {levels['news']:g})" in card


def test_the_default_model_asks_the_12_layer_model_only_where_the_6_layer_one_is_unsure(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in (FIXTURES / "nli_sample.jsonl").read_text().splitlines()]
    pairs = [(r["premise"], r["hypothesis"]) for r in rows]
    six = StanceModel(SHIPPED).predict(pairs)
    mean = load_model(ACCURATE).predict(pairs)
    # the default's own level leaves few of these pairs unsure; a level at the median splits them in two
    level = float(np.median(six.max(1)))
    spec = {"members": {str(SHIPPED): 0.5, str(LARGE): 0.5}, "unsure_below": level}
    (tmp_path / MEMBERS).write_text(json.dumps(spec))
    second = load_model(tmp_path)
    assert isinstance(second, EnsembleModel) and second.unsure_below == level
    unsure = six.max(1) < level
    read = second.predict(pairs)
    assert np.array_equal(read[~unsure], six[~unsure]) and np.array_equal(read[unsure], mean[unsure])

    asked: list[int] = []
    large = second.members[1][0]
    predict = large.predict

    def counted(some: Any, batch_size: int = 1) -> np.ndarray:
        asked.append(len(some))
        return predict(some, batch_size)

    large.predict = counted  # type: ignore[method-assign]
    second.predict(pairs)
    assert asked == [int(unsure.sum())] and 0 < asked[0] < len(pairs)  # the sure pairs never reach it

    default = load_model(DEFAULT)
    assert isinstance(default, EnsembleModel) and default.unsure_below == 0.5
    assert [m.name for m, _ in default.members] == [SHIPPED.name, LARGE.name]
    assert stance_name("nli") == stance_name("auto") == DEFAULT.name
    card = (DEFAULT / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert SHIPPED.name in card and LARGE.name in card and "below 0.5" in card


def test_shipped_model_classifies_fixed_pairs(model: StanceModel | EnsembleModel) -> None:
    probs = model.predict([(p, h) for p, h, _ in PAIRS])
    assert probs.shape == (len(PAIRS), 3)
    assert np.allclose(probs.sum(1), 1.0, atol=1e-4)
    predicted = [LABELS[i] for i in probs.argmax(1)]
    assert predicted == [label for _, _, label in PAIRS]


def test_batching_does_not_change_scores(model: StanceModel | EnsembleModel) -> None:
    pairs = [(p, h) for p, h, _ in PAIRS]
    small, large = model.predict(pairs, batch_size=2), model.predict(pairs, batch_size=16)
    # activations are quantised per token, so a pair scores the same whatever else is in its batch
    assert np.abs(small - large).max() < 1e-6
    # by default one pair a run, the runs side by side: each row is the pair's own, as if scored alone
    alone = np.stack([model.predict([pair])[0] for pair in pairs])
    assert np.abs(model.predict(pairs) - alone).max() < 1e-6
    assert model.predict([]).shape == (0, 3)


def test_repeated_pairs_get_their_own_rows(model: StanceModel | EnsembleModel) -> None:
    pairs = [(p, h) for p, h, _ in PAIRS]
    repeated = [pairs[3], pairs[0], pairs[3], pairs[1], pairs[0], pairs[3]]  # each distinct pair runs once
    expected = np.stack([model.predict([pair])[0] for pair in repeated])
    assert np.abs(model.predict(repeated) - expected).max() < 1e-6


def test_a_cue_is_a_reason_never_a_conflict_on_its_own() -> None:
    from factdesk.index.text.cues import find_cues

    statement = "At least two bombs landed in Mbugangari, injuring about 15 civilians."
    claim = "About 50 civilians were injured in Mbugangari"
    cues = find_cues(claim, statement)
    hesitant = combine((0.3, 0.6, 0.1), 0.8, cues)
    assert hesitant.label == "neutral" and hesitant.cues[0].kind == "number"  # the cue travels as the reason
    assert combine((0.1, 0.3, 0.6), 0.8, cues).label == "conflicts"  # ... of the model's conflict
    assert combine((0.9, 0.05, 0.05), 0.8, []).label == "supports"
    assert combine((0.9, 0.05, 0.05), 0.1, []).label == "neutral"  # off topic, whatever the model says
    rose = find_cues("Fuel prices in Goma fell", "Fuel prices in Goma rose by 40 percent.")
    assert [c.kind for c in combine((0.2, 0.7, 0.1), 0.8, rose).cues] == ["opposite"]
    assert combine((0.2, 0.7, 0.1), 0.8, rose).label == "neutral"
    # loosely on topic: only a clear verdict of the model counts
    assert combine((0.02, 0.03, 0.95), 0.35, []).label == "conflicts"
    assert combine((0.3, 0.1, 0.6), 0.35, []).label == "neutral"


def test_reported_speech_is_judged_on_what_it_reports() -> None:
    stance = NliStance()
    claim = "The Kanyabayonga bridge was destroyed"
    (result,) = stance.classify(claim, ["The Kanyabayonga bridge was destroyed on Sunday, officials said."], [0.93])
    assert result.label == "supports", result.probs


def test_a_restatement_in_the_statements_words_is_read_by_the_model() -> None:
    assert with_restatement((0.3, 0.6, 0.1), (0.9, 0.05, 0.05), opposite=False) == pytest.approx(
        (0.9, 0.0857, 0.0143), abs=1e-3
    )
    assert with_restatement((0.3, 0.6, 0.1), (0.9, 0.05, 0.05), opposite=True) == pytest.approx(
        (0.0333, 0.0667, 0.9), abs=1e-3
    )
    assert with_restatement((0.3, 0.6, 0.1), (0.05, 0.9, 0.05), opposite=True) == (0.3, 0.6, 0.1)  # nothing read
    stance = NliStance()
    statements = [
        "His remarks come as fresh clashes between M23 rebels and the Congolese army intensify.",
        "The humanitarian situation is deteriorating rapidly, with thousands of displaced civilians stranded.",
    ]
    (growing,) = stance.classify("Clashes between M23 and the Congolese army are growing", statements[:1], [0.7])
    assert (
        growing.label == "supports" and growing.reading == "Clashes between M23 and the Congolese army are intensifying"
    )
    (improving,) = stance.classify("The humanitarian situation is improving", statements[1:], [0.7])
    assert improving.label == "conflicts" and improving.reading == "The humanitarian situation is deteriorating"
    assert [c.kind for c in improving.cues] == ["opposite"]  # the cue names the reason


def test_what_a_statement_says_in_passing_is_read_where_the_model_is_sure_of_it() -> None:
    assert with_aside((0.49, 0.12, 0.39), (0.01, 0.04, 0.95)) == (0.01, 0.04, 0.95)
    assert with_aside((0.02, 0.72, 0.26), (0.04, 0.30, 0.66)) == (0.02, 0.72, 0.26)  # not sure enough
    assert with_aside((0.96, 0.02, 0.02), (0.05, 0.04, 0.91)) == (0.96, 0.02, 0.02)  # less sure than the whole
    statement = "Meanwhile, M23 rebels have captured Goma, the capital of North Kivu, in a stunning escalation."
    south, north = NliStance().classify(
        "Goma is the capital of South Kivu", [statement], [0.65]
    ) + NliStance().classify("Goma is the capital of North Kivu", [statement], [0.65])
    assert south.label == "conflicts" and south.probs[2] > 0.9, south.probs
    (aside,) = [c for c in south.cues if c.kind == "aside"]  # the reason the reader sees
    assert aside.statement is not None and aside.statement.text == "Goma, the capital of North Kivu"
    assert aside.detail == "the statement says in passing: “Goma is the capital of North Kivu.”"
    assert north.label == "supports", north.probs


def test_a_claims_figure_is_read_in_the_statements_figure() -> None:
    stance = NliStance()
    statement = "Two bombs landed in Mbugangari, Rubavu District, injuring about 15 civilians."
    fewer, more = stance.classify(
        "Fewer than ten civilians were injured in Rubavu", [statement], [0.7]
    ) + stance.classify("More than ten civilians were injured in Rubavu", [statement], [0.7])
    assert fewer.label == "conflicts" and fewer.reading == "About 15 civilians were injured in Rubavu", fewer.probs
    assert more.label == "supports" and more.reading == "About 15 civilians were injured in Rubavu", more.probs
    (same,) = stance.classify("About 15 civilians were injured in Rubavu", [statement], [0.7])
    assert same.reading is None


def test_a_claims_bounded_year_is_read_in_the_statements_year() -> None:
    stance = NliStance()
    statement = "Rwanda opened the new border post at Rubavu in October 2016, officials said."
    before, after = stance.classify(
        "Rwanda opened the border post at Rubavu before 2015", [statement], [0.7]
    ) + stance.classify("Rwanda opened the border post at Rubavu after 2015", [statement], [0.7])
    assert before.label == "conflicts" and before.reading == "Rwanda opened the border post at Rubavu in October 2016"
    assert after.label == "supports" and after.reading == "Rwanda opened the border post at Rubavu in October 2016"


def test_nli_stance_names_the_model() -> None:
    stance = NliStance()
    assert stance.mode == "nli" and stance.name == DEFAULT.name
    (result,) = stance.classify("Goma was captured by M23.", [PAIRS[0][0]], [0.82])
    assert result.label == "supports"
    # below ON_TOPIC the model is not asked: neutral, nothing related
    on, off = stance.classify("Goma was captured by M23.", [PAIRS[0][0], "Bread prices rose in Lyon."], [0.82, 0.2])
    assert on.label == "supports" and on.related > 0.5
    assert off.label == "neutral" and off.scores["neutral"] == 1.0 and off.related == 0.0


def _tiny_run(out: Path, **options: Any) -> dict[str, Any]:
    """A few training steps on the fixture pairs (batch 8, 40 held out), quiet."""
    from factdesk.training.stance import TrainConfig, run

    config = TrainConfig(
        data=[FIXTURES / "nli_sample.jsonl"],
        out=out,
        batch_size=8,
        holdout=40,
        seed=3,
        threads=min(2, os.cpu_count() or 1),
        **options,
    )
    return run(config, log=lambda _: None)


@pytest.mark.slow
def test_training_runs_end_to_end_on_a_tiny_slice(tmp_path: Path) -> None:
    import onnx

    out = tmp_path / "model"
    metrics = _tiny_run(out, epochs=1, max_steps=3, synthetic=16, word_swaps=16, news_clauses=0.7)
    assert metrics["training"]["steps"] == 3
    assert {"model.onnx", "tokenizer.json", "metrics.json", "MODEL_CARD.md", "heldout.jsonl"} <= {
        p.name for p in out.iterdir()
    }
    held = [json.loads(line) for line in (out / "heldout.jsonl").read_text().splitlines()]
    assert metrics["train_counts"]["word_swaps"] == 16
    assert len(held) >= 40 and not {"synthetic", "word_swaps"} & {p["source"] for p in held}  # edits never held out
    card = (out / "MODEL_CARD.md").read_text()
    command = card[card.index("## Reproduce") :]
    assert "--word-swaps 16" in command and "--covidfact" not in command  # the run had no COVID-Fact directory
    assert "not measured (the last run had no --covidfact)" in card
    assert StanceModel(out).predict([("A dog runs.", "An animal moves.")]).shape == (1, 3)
    assert metrics["config"]["quantize"] == "tokens"

    # quantised again from the fp32 export, without training: the training figures stay, the runtime changes
    from factdesk.service.cli import main

    argv = ["train-stance", "--requantize", "--quantize", "weights", "--data", str(FIXTURES / "nli_sample.jsonl")]
    assert main([*argv, "--out", str(out)]) == 0
    again = json.loads((out / "metrics.json").read_text())
    assert again["training"] == metrics["training"] and again["config"]["quantize"] == "weights"
    assert "DequantizeLinear" in {n.op_type for n in onnx.load(str(out / "model.onnx")).graph.node}
    assert main([*argv, "--out", str(tmp_path / "none")]) == 1


@pytest.mark.slow
def test_a_smaller_student_distils_from_the_shipped_model(tmp_path: Path) -> None:
    import onnx

    from factdesk.training.stance_network import kept_layers

    assert kept_layers(6, 3) == [1, 3, 5] and kept_layers(6, 6) == list(range(6))
    out = tmp_path / "student"
    metrics = _tiny_run(out, max_steps=2, synthetic=0, layers=2, teacher=SHIPPED)
    assert metrics["training"]["steps"] == 2 and metrics["training"]["teacher_minutes"] >= 0
    graph = onnx.load(str(out / "model.onnx")).graph
    layers = {n.name.split("/")[3] for n in graph.node if n.name.startswith("/encoder/encoder/layer.")}
    assert layers == {"layer.0", "layer.1"}

    # or of a trained network's layers (--init with --layers): evenly spaced, its tokenizer and head kept
    out = tmp_path / "of-trained"
    metrics = _tiny_run(out, max_steps=1, synthetic=0, lr=1e-9, init=SHIPPED, layers=3)
    assert metrics["training"]["encoder_layers"] == 3
    graph = onnx.load(str(out / "model.onnx")).graph
    assert {n.name.split("/")[3] for n in graph.node if n.name.startswith("/encoder/encoder/layer.")} == {
        "layer.0",
        "layer.1",
        "layer.2",
    }
    assert "this run kept layers 1, 3, 5 of the 6 of `nli-minilm-l6`" in (out / "MODEL_CARD.md").read_text()


def test_the_teacher_scores_a_pair_when_its_batch_first_comes() -> None:
    from factdesk.training.stance_network import Teacher

    pairs = [{"premise": p, "hypothesis": h, "label": label, "source": "fixed"} for p, h, label in PAIRS]
    teacher = Teacher(ACCURATE, pairs, threads=1)  # an averaging model teaches as any other
    first = teacher[[3, 0]].numpy()
    assert np.isnan(teacher.probs[[1, 2, 4, 5, 6]]).all() and teacher.seconds > 0  # the rest waits for its batch
    spent = teacher.seconds
    again = teacher[[0, 3]].numpy()
    assert teacher.seconds == spent and np.array_equal(again, first[::-1])  # each pair scored once
    expected = load_model(ACCURATE).predict([(PAIRS[i][0], PAIRS[i][1]) for i in (0, 3)])
    assert np.abs(again - expected).max() < 1e-6


class _Reads:
    """A stance model (the `predict` protocol) that reads every pair as one label."""

    def __init__(self, label: str) -> None:
        self.probs = np.eye(len(LABELS), dtype=np.float32)[LABELS.index(label)]

    def predict(self, pairs: list[tuple[str, str]], batch_size: int = 32) -> np.ndarray:
        return np.tile(self.probs, (len(pairs), 1))


def test_a_focused_run_repeats_the_pairs_the_teacher_reads_right_and_the_student_does_not() -> None:
    from factdesk.training.stance_eval import predictions
    from factdesk.training.stance_network import Teacher, focus

    pairs = [{"premise": p, "hypothesis": h, "label": label, "source": "fixed"} for p, h, label in PAIRS]
    pairs.append({"premise": PAIRS[0][0], "hypothesis": PAIRS[1][1], "label": "not_entailment", "source": "two"})
    teacher = Teacher(ACCURATE, pairs, threads=1)
    gold, read = predictions(teacher[range(len(pairs))].numpy(), pairs)
    right = {i for i in range(len(pairs)) if read[i] == gold[i]}
    assert len(right) >= 6  # the mean reads the fixture pairs (a two-way one too) as labelled

    rows, stats = focus(pairs, teacher, _Reads("entailment"), size=len(pairs), repeat=4, seed=1)
    learn = {i for i in right if pairs[i]["label"] != "entailment"}  # an entailment reader gets those wrong
    assert learn and stats == {
        "drawn": len(pairs),
        "teacher_right": len(right),
        "student_wrong_teacher_right": len(learn),
    }
    assert sorted(rows) == sorted([*range(len(pairs)), *(i for i in learn for _ in range(3))])
    chosen = teacher.subset(rows)
    assert [p["hypothesis"] for p in chosen.pairs] == [pairs[i]["hypothesis"] for i in rows]
    assert np.array_equal(chosen[range(len(rows))].numpy(), teacher.probs[rows])  # scored once, not again

    # a draw of some pairs only; a student that reads as the gold label does has nothing to learn twice
    rows, stats = focus(pairs, teacher, _Reads("neutral"), size=3, repeat=4, seed=1)
    assert stats["drawn"] == 3 and len(set(rows)) == 3
    assert len(rows) == 3 + 3 * stats["student_wrong_teacher_right"]
    neutral, entailment = (np.eye(len(LABELS))[[LABELS.index(label)]] for label in ("neutral", "entailment"))
    gold, read = predictions(neutral, pairs[-1:])
    assert gold == read  # a two-way pair read as neutral is read not_entailment: right
    assert pairs[4]["label"] == "neutral"
    gold, read = predictions(entailment, pairs[4:5])
    assert gold != read


@pytest.mark.slow
def test_a_focused_run_times_its_training_apart_from_the_scoring_of_its_draw(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scored = EnsembleModel.predict

    def slow_teacher(self: EnsembleModel, pairs: Any, batch_size: int = 1) -> np.ndarray:
        time.sleep(6)  # far longer than two training steps: counted as training, it would show
        return scored(self, pairs, batch_size)

    monkeypatch.setattr(EnsembleModel, "predict", slow_teacher)
    out = tmp_path / "focused"
    metrics = _tiny_run(out, max_steps=2, synthetic=0, init=SHIPPED, teacher=ACCURATE, focus=60, max_minutes=30)
    training = metrics["training"]
    assert training["steps"] == 2 and training["focus"]["drawn"] == 60
    assert training["teacher_minutes"] >= 0.1  # the draw's scoring is the teacher's time
    assert 0 < training["train_minutes"] < 0.1
    assert sum(metrics["train_counts"].values()) == 60 + 2 * training["focus"]["student_wrong_teacher_right"]
    card = (out / "MODEL_CARD.md").read_text()
    assert "--focus 60 --focus-repeat 3" in card and "Focused: of 60 training pairs" in card

    # quantised again, it still counts the pairs it trained on, not those it drew from
    from factdesk.service.cli import main

    argv = ["train-stance", "--requantize", "--data", str(FIXTURES / "nli_sample.jsonl"), "--out", str(out)]
    assert main(argv) == 0
    assert json.loads((out / "metrics.json").read_text())["train_counts"] == metrics["train_counts"]


@pytest.mark.slow
def test_augmented_pairs_are_trained_on_the_teachers_reading(tmp_path: Path) -> None:
    metrics = _tiny_run(tmp_path / "augmented", max_steps=2, synthetic=0, teacher=FAST, distill=0.5, augment=16)
    assert metrics["train_counts"]["augmented"] == 16
    held = [json.loads(line) for line in (tmp_path / "augmented" / "heldout.jsonl").read_text().splitlines()]
    assert "augmented" not in {p["source"] for p in held}  # made of training pairs, never held out
    card = (tmp_path / "augmented" / "MODEL_CARD.md").read_text()
    assert "--augment 16" in card and "Augmented: 16 copies of training pairs" in card
    with pytest.raises(ValueError, match="need a --teacher"):
        _tiny_run(tmp_path / "untaught", max_steps=1, synthetic=0, augment=16)
    assert not (tmp_path / "untaught").exists()


@pytest.mark.slow
def test_training_goes_on_from_a_trained_model(tmp_path: Path) -> None:
    import torch

    from factdesk.service.cli import main
    from factdesk.training.stance_data import collate, encode
    from factdesk.training.stance_network import load_init
    from factdesk.training.stance_runs import runs_before

    # the int8 export read back into the network scores as the shipped model does, with its layers
    assert len(load_init(FAST)[0].encoder.encoder.layer) == 3
    network, tokenizer = load_init(SHIPPED)
    network.eval()
    pairs = [{"premise": p, "hypothesis": h} for p, h, _ in PAIRS]
    with torch.no_grad():
        torch_probs = torch.softmax(network(**collate(encode(tokenizer, pairs, 128), torch.device("cpu"))), -1)
    shipped = StanceModel(SHIPPED).predict([(p, h) for p, h, _ in PAIRS])
    assert np.abs(torch_probs.numpy() - shipped).max() < 0.05

    # one step at a vanishing learning rate from the shipped model keeps its answers (the base encoder's
    # untrained head would not); the cap holds the source to 5 training pairs
    out = tmp_path / "again"
    metrics = _tiny_run(out, max_steps=1, synthetic=0, lr=1e-9, init=SHIPPED, cap={"snli_cad": 5})
    assert metrics["train_counts"]["snli_cad"] == 5
    assert metrics["config"]["init"] == str(SHIPPED) and metrics["init_run"]["training"]["steps"] > 1000
    # it shuffles with the next seed (the held-out slice keeps --seed): not run 1's batches again
    assert runs_before(None) == 0 and runs_before(out) == runs_before(SHIPPED) + 1 >= 2
    card = (out / "MODEL_CARD.md").read_text()
    n = runs_before(SHIPPED)  # the shipped model's own runs, the last one's command now "stage-n"
    assert f"Trained in {n + 1} runs" in card and f"--out stage-{n}" in card
    assert f"--init stage-{n} --cap snli_cad=5" in card
    again = StanceModel(out).predict([(p, h) for p, h, _ in PAIRS])
    assert (again.argmax(1) == shipped.argmax(1)).all()

    # a run's own folder keeps its fp32 export: the next run goes on from the weights as trained, not as quantised
    network, tokenizer = load_init(out)
    network.eval()
    with torch.no_grad():
        torch_probs = torch.softmax(network(**collate(encode(tokenizer, pairs, 128), torch.device("cpu"))), -1)
    trained = StanceModel(out, filename="model-fp32.onnx").predict([(p, h) for p, h, _ in PAIRS])
    assert np.abs(torch_probs.numpy() - trained).max() < 1e-4
    assert metrics["training"]["init_export"] == "model.onnx"  # the shipped model has no fp32 export
    further = _tiny_run(tmp_path / "further", max_steps=1, synthetic=0, lr=1e-9, init=out, cap={"snli_cad": 5})
    assert further["training"]["init_export"] == "model-fp32.onnx"
    assert "from the fp32 export" in (tmp_path / "further" / "MODEL_CARD.md").read_text()

    argv = ["train-stance", "--data", str(FIXTURES / "nli_sample.jsonl"), "--out", str(tmp_path / "bad")]
    assert main([*argv, "--cap", "snli_cad"]) == 1
    assert main([*argv, "--init", str(tmp_path / "none")]) == 1
    assert main([*argv, "--focus", "50", "--init", str(SHIPPED)]) == 1  # no teacher to read apart from
    assert main([*argv, "--augment", "50"]) == 1  # no teacher to label the edited pairs
    assert main([*argv, "--augment", "-1", "--teacher", str(ACCURATE)]) == 1
    assert (
        main([*argv, "--focus", "50", "--focus-repeat", "0", "--init", str(SHIPPED), "--teacher", str(ACCURATE)]) == 1
    )
    assert not (tmp_path / "bad").exists()


def test_two_way_pairs_are_trained_on_neutral_plus_contradiction() -> None:
    import torch

    from factdesk.training.stance_data import TARGETS
    from factdesk.training.stance_network import stance_loss

    logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 1.0]])
    probs = torch.softmax(logits, -1)
    entail, either = TARGETS.index("entailment"), TARGETS.index("not_entailment")
    assert stance_loss(logits[:1], torch.tensor([entail])).item() == pytest.approx(-math.log(probs[0, 0]), 1e-5)
    assert stance_loss(logits[1:], torch.tensor([either])).item() == pytest.approx(
        -math.log(probs[1, 1] + probs[1, 2]), 1e-5
    )
    # the two-way loss does not care how the rest is split between neutral and contradiction
    swapped = torch.tensor([[0.0, 3.0, -3.0]]), torch.tensor([[0.0, -3.0, 3.0]])
    assert stance_loss(swapped[0], torch.tensor([either])) == pytest.approx(
        stance_loss(swapped[1], torch.tensor([either]))
    )


def test_a_pair_without_a_gold_label_follows_the_teacher_alone() -> None:
    import torch

    from factdesk.training.stance_data import TARGETS, TAUGHT
    from factdesk.training.stance_network import stance_loss, training_loss

    logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 1.0]])
    entail, untaught = TARGETS.index("entailment"), TARGETS.index(TAUGHT)
    assert stance_loss(logits, torch.tensor([untaught, untaught])).abs().max() == 0  # no gold label, no loss
    gold = stance_loss(logits, torch.tensor([entail, entail]))
    agreeing = torch.softmax(logits, -1)  # a teacher that reads as the student does: nothing to learn from it
    both = torch.tensor([entail, untaught])
    assert training_loss(logits, both, agreeing, 0.5).item() == pytest.approx(0.5 * gold[0].item() / 2, 1e-5)
    assert training_loss(logits, both, None, 0.5).item() == pytest.approx(gold[0].item() / 2, 1e-5)
    sure = torch.tensor([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]])  # one that reads both as contradiction
    kl = -torch.log_softmax(logits, -1)[:, 2]
    expected = (0.7 * gold[0] + 0.3 * kl[0] + kl[1]) / 2
    assert training_loss(logits, both, sure, 0.3).item() == pytest.approx(expected.item(), 1e-5)


def test_augmented_pairs_are_training_pairs_with_one_word_replaced() -> None:
    from factdesk.training.augment import make_augmented
    from factdesk.training.stance_data import TAUGHT, load_pairs

    pairs = load_pairs(FIXTURES / "nli_sample.jsonl")
    made = make_augmented(pairs, 60, seed=5)
    assert len(made) == 60 and made == make_augmented(pairs, 60, seed=5) != make_augmented(pairs, 60, seed=6)
    assert {(p["label"], p["source"]) for p in made} == {(TAUGHT, "augmented")}
    edited = {"premise": 0, "hypothesis": 0}
    for p in made:
        kept, side = next(
            (q, side)
            for q in pairs
            for side, other in (("hypothesis", "premise"), ("premise", "hypothesis"))
            if q[other] == p[other] and q[side] != p[side] and len(q[side].split()) == len(p[side].split())
        )
        changed = [(a, b) for a, b in zip(kept[side].split(), p[side].split(), strict=True) if a != b]
        assert len(changed) == 1 and changed[0][0][:4] != changed[0][1][:4], (kept[side], p[side])
        edited[side] += 1
    assert min(edited.values()) >= 10  # premises are edited as well as hypotheses


def test_a_further_file_is_held_out_by_source_in_whole_groups() -> None:
    from factdesk.training.stance_data import load_data, load_pairs, split_holdout

    files = [FIXTURES / "nli_sample.jsonl", FIXTURES / "nli_more_sample.jsonl"]
    train_pairs, held = load_data(files, 40, 12, seed=3)
    # the first file keeps the slice it had on its own: a model trained on it alone is measured on the same pairs
    _, alone = split_holdout(load_pairs(files[0]), 40, 3)
    assert [p | {"data": files[0].name} for p in alone] == [p for p in held if p["data"] == files[0].name]
    more = [p for p in held if p["data"] == files[1].name]
    assert {p["source"] for p in more} == {"vitaminc_real", "docnli_fever_binary"}
    # no held-out pair shares a premise or a hypothesis with a training pair (a revision's twin stays with it)
    trained = {t for p in train_pairs for t in (p["premise"], p["hypothesis"])}
    assert not any(p["premise"] in trained or p["hypothesis"] in trained for p in more)
    assert len(train_pairs) + len(held) == sum(len(load_pairs(f)) for f in files)


def test_two_way_sources_are_scored_two_way() -> None:
    from factdesk.training.stance_eval import evaluate

    pairs = [
        {"premise": "a", "hypothesis": "b", "label": "not_entailment", "source": "docnli"},
        {"premise": "c", "hypothesis": "d", "label": "entailment", "source": "docnli"},
        {"premise": "e", "hypothesis": "f", "label": "neutral", "source": "lingnli"},
    ]
    probs = np.array([[0.1, 0.2, 0.7], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7]])
    figures = evaluate(probs, pairs, ["more", "more", "more"])
    assert figures["by_source"]["docnli"]["accuracy"] == 0.5  # contradiction counts as not entailment
    assert figures["overall"]["n"] == 1 and figures["overall"]["accuracy"] == 0.0  # three-way pairs only
    assert figures["by_file"]["more"]["n"] == 3


@pytest.mark.slow
def test_training_takes_several_files_and_reports_each(tmp_path: Path) -> None:
    from factdesk.service.cli import main

    out = tmp_path / "two"
    data = [str(FIXTURES / "nli_sample.jsonl"), str(FIXTURES / "nli_more_sample.jsonl")]
    argv = ["train-stance", "--data", *data, "--out", str(out), "--holdout", "40", "--holdout-more", "12"]
    assert main([*argv, "--max-steps", "2", "--batch-size", "8", "--synthetic", "0", "--seed", "3"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["heldout_int8"]["by_file"]) == {"nli_sample.jsonl", "nli_more_sample.jsonl"}
    assert metrics["train_counts"]["docnli_fever_binary"] > 0
    assert "f1_not_entailment" in metrics["heldout_int8"]["by_source"]["docnli_fever_binary"]
    assert (
        "--data ../shared/data/nli/nli_sample.jsonl ../shared/data/nli/nli_more_sample.jsonl"
        in (out / "MODEL_CARD.md").read_text()
    )
    assert main(["train-stance", "--data", data[0], str(tmp_path / "missing.jsonl"), "--out", str(out)]) == 1


def test_a_denial_is_read_against_what_it_denies_and_a_passed_on_claim_is_no_evidence() -> None:
    stance = NliStance()
    statements = [
        "The army dismissed claims that M23 rebels had captured Bukavu.",
        "M23 rebels have captured Bukavu, the army denied.",
        "A post shared on Facebook claims that M23 rebels have captured Bukavu.",
    ]
    dismissed, denied, passed_on = stance.classify("M23 rebels have captured Bukavu", statements, [0.8] * 3)
    assert dismissed.label == "conflicts" and denied.label == "conflicts", (dismissed.probs, denied.probs)
    assert passed_on.label == "neutral" and passed_on.probs == OFF_TOPIC
    assert [c.kind for c in dismissed.cues] == ["denied"] and [c.kind for c in passed_on.cues] == ["passed_on"]
    # a claim about what the post says is read against the post
    (post,) = stance.classify("A Facebook post claims M23 rebels have captured Bukavu", statements[2:], [0.9])
    assert post.label == "supports", post.probs
