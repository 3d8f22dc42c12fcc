"""A BERT-family encoder rebuilt in torch from an ONNX export, its int8 weights dequantised.

Lets `train-stance --base DIR` start from an encoder that exists only as an (often int8) ONNX file beside its
`tokenizer.json`, such as the MiniLM / BGE exports other packages ship. What the export stores, by the way
onnxruntime's `quantize_dynamic` writes it:

- embedding tables: `<name>.weight_quantized` + `_scale` + `_zero_point`, read by a Gather (then DequantizeLinear);
- linear weights: `MatMulInteger` (or the fused `DynamicQuantizeMatMul`) on `<w>_quantized` + `<w>_scale` +
  `<w>_zero_point`, `[in, out]`; `<w>` is often an anonymous `onnx::MatMul_1662`, so the module is named after the
  bias the product is added to (`...query.bias`), else after the node (`/encoder/layer.0/.../MatMul_quant`);
- QDQ exports: a DequantizeLinear of an int8 initialiser feeding a MatMul; plain fp32 MatMul weights likewise;
- biases and LayerNorm parameters stay fp32 under their module names.

Only the embeddings and the encoder layers are kept (a pooler or a classifier head, as a reranker has, is dropped).
The sizes come from `config.json` when there is one, else from the weights' shapes and, for the number of
attention heads, from the reshape the graph does before attention.
"""

import json
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

WEIGHTED_OPS = ("MatMulInteger", "DynamicQuantizeMatMul", "MatMul")
PASS_THROUGH = ("Cast", "Mul")  # between an integer product and its bias: the cast to float and the scaling


def _dequantise(q: np.ndarray, scale: np.ndarray, zero: np.ndarray | int, axis: int = -1) -> np.ndarray:
    """(q − zero point) × scale, the scale per tensor or per channel along `axis`."""
    scale, zero = np.asarray(scale, np.float32), np.asarray(zero, np.float32)
    if scale.size > 1:
        shape = [1] * q.ndim
        shape[axis] = -1
        scale, zero = scale.reshape(shape), zero.reshape(shape) if zero.size > 1 else zero
    return (q.astype(np.float32) - zero) * scale


class OnnxGraph:
    def __init__(self, model: Any) -> None:
        from onnx import numpy_helper

        self.model = model
        self.arrays = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
        for node in model.graph.node:  # exports sometimes hold small tensors as Constant nodes
            if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
                self.arrays.setdefault(node.output[0], numpy_helper.to_array(node.attribute[0].t))
        self.consumers: dict[str, list[Any]] = defaultdict(list)
        self.producer: dict[str, Any] = {}
        for node in model.graph.node:
            for name in node.input:
                self.consumers[name].append(node)
            for name in node.output:
                self.producer[name] = node

    def weight(self, name: str) -> np.ndarray | None:
        """A float weight from an initialiser: as stored, dequantised (`_quantized` naming) or via DequantizeLinear."""
        if name in self.arrays and self.arrays[name].dtype == np.float32:
            return self.arrays[name]
        if name.endswith("_quantized") and name in self.arrays:
            base = name.removesuffix("_quantized")
            if base + "_scale" in self.arrays:
                zero = self.arrays.get(base + "_zero_point", 0)
                return _dequantise(self.arrays[name], self.arrays[base + "_scale"], zero)
        node = self.producer.get(name)
        if node is not None and node.op_type == "DequantizeLinear" and node.input[0] in self.arrays:
            axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
            zero = self.arrays[node.input[2]] if len(node.input) > 2 and node.input[2] else 0
            return _dequantise(self.arrays[node.input[0]], self.arrays[node.input[1]], zero, axis)
        return None

    def bias_after(self, output: str) -> str | None:
        """The fp32 `*.bias` initialiser the product `output` is added to, past its cast and scaling."""
        for _ in range(4):
            nodes = self.consumers.get(output, [])
            if len(nodes) != 1:
                return None
            node = nodes[0]
            if node.op_type == "Add":
                return next((i for i in node.input if i.endswith(".bias") and i in self.arrays), None)
            if node.op_type not in PASS_THROUGH:
                return None
            output = node.output[0]
        return None


def _linear_name(graph: OnnxGraph, node: Any, weight: str) -> str | None:
    """`...query.weight` for a product node: after its initialiser, else its node's scope, else its bias.

    The node's scope comes before the bias: an exporter may merge equal initialisers (zero biases) into one name.
    """
    if re.fullmatch(r"[\w.]+\.weight(_quantized)?", weight):
        return weight.removesuffix("_quantized")
    if named := re.fullmatch(r"/(.+)/(MatMul|Gemm)\w*", node.name):
        return named[1].replace("/", ".") + ".weight"
    if node.op_type == "DynamicQuantizeMatMul" and len(node.input) > 4 and node.input[4].endswith(".bias"):
        return node.input[4].removesuffix(".bias") + ".weight"
    if bias := graph.bias_after(node.output[0]):
        return bias.removesuffix(".bias") + ".weight"
    return None


def onnx_bert_state(graph: OnnxGraph) -> dict[str, np.ndarray]:
    """Every named float parameter of the export, MatMul weights transposed to torch's `[out, in]`."""
    state: dict[str, np.ndarray] = {}
    for name, value in graph.arrays.items():
        if re.fullmatch(r"[\w.]+\.(weight|bias)", name) and value.dtype == np.float32:
            state[name] = value
        elif re.fullmatch(r"[\w.]+_embeddings\.weight_quantized", name):
            table = graph.weight(name)
            if table is not None:
                state[name.removesuffix("_quantized")] = table
    for node in graph.model.graph.node:
        if node.op_type not in WEIGHTED_OPS or len(node.input) < 2:
            continue
        if node.op_type == "DynamicQuantizeMatMul":
            q = graph.arrays.get(node.input[1])
            zero = graph.arrays[node.input[3]] if len(node.input) > 3 and node.input[3] else 0
            weight = None if q is None else _dequantise(q, graph.arrays[node.input[2]], zero)
        else:
            weight = graph.weight(node.input[1])
        name = _linear_name(graph, node, node.input[1])
        if weight is not None and weight.ndim == 2 and name:
            state[name] = weight.T
            if bias := graph.bias_after(node.output[0]):  # its own, whatever name the exporter left it
                state[name.removesuffix(".weight") + ".bias"] = graph.arrays[bias]
    return state


def _prefix(state: dict[str, np.ndarray]) -> str:
    """What comes before `embeddings.` in the names (`bert.` in a sequence-classification export, often nothing)."""
    for name in state:
        if name.endswith("embeddings.word_embeddings.weight"):
            return name.removesuffix("embeddings.word_embeddings.weight")
    raise ValueError("no word embedding table (…embeddings.word_embeddings.weight) in the export")


def encoder_state(state: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """The embeddings' and encoder layers' parameters under `BertModel`'s names; pooler and heads dropped."""
    prefix = _prefix(state)
    kept = {}
    for name, value in state.items():
        short = name.removeprefix(prefix)
        if name.startswith(prefix) and short.split(".")[0] in ("embeddings", "encoder"):
            kept[short] = torch.from_numpy(np.array(value, dtype=np.float32))
    return kept


def attention_heads(graph: OnnxGraph, hidden: int) -> int:
    """From the reshape of the query/key/value states: `[batch, tokens, heads, head size]` (heads may be −1)."""
    votes: dict[int, int] = defaultdict(int)
    for node in graph.model.graph.node:
        if node.op_type != "Reshape":
            continue
        shape = graph.arrays.get(node.input[1])
        if shape is not None and shape.size == 4:
            dims = [int(d) for d in shape.ravel()]
        else:
            concat = graph.producer.get(node.input[1])
            if concat is None or concat.op_type != "Concat" or len(concat.input) != 4:
                continue
            parts = [graph.arrays.get(i) for i in concat.input]
            dims = [int(p.ravel()[0]) if p is not None and p.size == 1 else 0 for p in parts]
        heads, size = dims[2], dims[3]
        if size > 0 and size < hidden and hidden % size == 0 and heads in (-1, hidden // size):
            votes[hidden // size] += 1
    if not votes:
        raise ValueError("cannot tell the number of attention heads: put the model's config.json beside it")
    return max(votes, key=votes.__getitem__)


def bert_config(directory: Path, state: dict[str, torch.Tensor], graph: OnnxGraph) -> Any:
    from transformers import BertConfig

    config_file = directory / "config.json"
    if config_file.is_file():
        config = BertConfig(**json.loads(config_file.read_text(encoding="utf-8")))
    else:
        words = state["embeddings.word_embeddings.weight"]
        hidden = words.shape[1]
        config = BertConfig(
            vocab_size=words.shape[0],
            hidden_size=hidden,
            num_hidden_layers=len(_layers(state)),
            num_attention_heads=attention_heads(graph, hidden),
            intermediate_size=state["encoder.layer.0.intermediate.dense.weight"].shape[0],
            max_position_embeddings=state["embeddings.position_embeddings.weight"].shape[0],
            type_vocab_size=state["embeddings.token_type_embeddings.weight"].shape[0],
        )
    config.num_hidden_layers = len(_layers(state))  # what the export holds, whatever its config says
    config._attn_implementation = "eager"
    return config


def _layers(state: dict[str, Any]) -> set[str]:
    return {name.split(".")[2] for name in state if name.startswith("encoder.layer.")}


def load_base(directory: Path) -> tuple[Any, Any]:
    """(`BertModel` without a pooler, its tokenizer) from `directory`'s `model.onnx` and `tokenizer.json`."""
    import onnx
    from transformers import BertModel

    graph = OnnxGraph(onnx.load(str(directory / "model.onnx")))
    state = encoder_state(onnx_bert_state(graph))
    encoder = BertModel(bert_config(directory, state, graph), add_pooling_layer=False)
    missing, unexpected = encoder.load_state_dict(state, strict=False)
    missing = [name for name in missing if not name.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(
            f"{directory}: its weights do not fit a BERT encoder (missing {missing[:3]}, extra {unexpected[:3]})"
        )
    return encoder, base_tokenizer(directory)


def base_tokenizer(directory: Path) -> Any:
    """The base's own tokenizer.json (its vocabulary and lower-casing), as a transformers fast tokenizer."""
    from transformers import PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_file=str(directory / "tokenizer.json"),
        model_input_names=["input_ids", "token_type_ids", "attention_mask"],  # a pair's segments matter
    )
    vocab = tokenizer.get_vocab()
    specials = {"unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]"}
    tokenizer.add_special_tokens({k: v for k, v in specials.items() if v in vocab})  # type: ignore[arg-type]
    return tokenizer


def last_hidden_name(model: Any) -> str:
    """The tensor of the export that is the encoder's last layer output (after its LayerNorm)."""
    outputs = [o.name for o in model.graph.output]
    if "last_hidden_state" in outputs:
        return "last_hidden_state"
    biases = [
        i.name
        for i in model.graph.initializer
        if re.fullmatch(r"(.*\.)?encoder\.layer\.\d+\.output\.LayerNorm\.bias", i.name)
    ]
    if not biases:
        raise ValueError("no encoder layer output LayerNorm in the export")
    last = max(biases, key=lambda n: int(re.findall(r"layer\.(\d+)\.", n)[-1]))
    for node in model.graph.node:
        if last in node.input and node.op_type in ("Add", "LayerNormalization"):
            return node.output[0]
    raise ValueError(f"nothing uses {last}")


def agreement(directory: Path, encoder: Any, tokenizer: Any, texts: Sequence[str]) -> float:
    """The lowest cosine, over the tokens of `texts`, between the torch encoder's states and the export's own."""
    import onnx
    import onnxruntime as ort

    model = onnx.load(str(directory / "model.onnx"))
    name = last_hidden_name(model)
    if name not in [o.name for o in model.graph.output]:
        model.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    wanted = {i.name for i in session.get_inputs()}
    encoder.eval()
    lowest = 1.0
    for text in texts:
        enc = tokenizer([text], return_tensors="np")
        feeds = {k: v.astype(np.int64) for k, v in enc.items() if k in wanted}
        theirs = session.run([name], feeds)[0][0]
        with torch.no_grad():
            ours = encoder(**{k: torch.from_numpy(v) for k, v in feeds.items()}).last_hidden_state[0].numpy()
        cos = (theirs * ours).sum(-1) / (np.linalg.norm(theirs, axis=-1) * np.linalg.norm(ours, axis=-1))
        lowest = min(lowest, float(cos.min()))
    return lowest
