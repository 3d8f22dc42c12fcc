import os
import shutil
import time
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from factdesk.index import onnxrt
from factdesk.index.onnxrt import exact_signed_kernel, signed_copy
from factdesk.index.quantize import quantize_per_token, quantize_weights, signed_weights

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
import onnxruntime as ort


def _model(path: Path, seed: int = 0) -> None:
    """Token ids → embedding table (Gather) → dense layer (MatMul): the two weight kinds of the encoder."""
    rng = np.random.default_rng(seed)
    table = rng.normal(size=(500, 64)).astype(np.float32)
    weight = rng.normal(scale=0.2, size=(64, 32)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Gather", ["table", "ids"], ["x"]),
            helper.make_node("MatMul", ["x", "weight"], ["y"], name="dense"),
        ],
        "tiny",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", "tokens"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "tokens", 32])],
        [numpy_helper.from_array(table, "table"), numpy_helper.from_array(weight, "weight")],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)


def _session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.add_session_config_entry("session.disable_quant_qdq", "1")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def test_weights_become_int8_and_outputs_stay_close(tmp_path: Path) -> None:
    _model(tmp_path / "fp32.onnx")
    assert quantize_weights(str(tmp_path / "fp32.onnx"), str(tmp_path / "int8.onnx"), min_elements=1) == 2
    assert (tmp_path / "int8.onnx").stat().st_size < 0.3 * (tmp_path / "fp32.onnx").stat().st_size
    kinds = {i.name: i.data_type for i in onnx.load(tmp_path / "int8.onnx").graph.initializer}
    assert kinds["table_q"] == kinds["weight_q"] == TensorProto.INT8

    ids = np.random.default_rng(1).integers(0, 500, size=(4, 9))
    (reference,) = _session(tmp_path / "fp32.onnx").run(None, {"ids": ids})
    quantized = _session(tmp_path / "int8.onnx")
    (result,) = quantized.run(None, {"ids": ids})
    assert np.abs(result - reference).max() < 0.02 * np.abs(reference).max()
    # weights only: a row's output does not depend on the rest of the batch
    (alone,) = quantized.run(None, {"ids": ids[:1]})
    assert np.array_equal(alone[0], result[0])


def test_per_token_int8_arithmetic_does_not_depend_on_the_batch(tmp_path: Path) -> None:
    _model(tmp_path / "fp32.onnx")
    assert quantize_per_token(str(tmp_path / "fp32.onnx"), str(tmp_path / "int8.onnx"), tables=True) == 1
    graph = onnx.load(tmp_path / "int8.onnx").graph
    assert "MatMul" not in {n.op_type for n in graph.node}  # int8 arithmetic replaces it
    kinds = {i.name: i.data_type for i in graph.initializer}
    assert kinds["table_q"] == TensorProto.INT8 and "table" not in kinds and "weight" not in kinds

    ids = np.random.default_rng(1).integers(0, 500, size=(4, 9))
    (reference,) = _session(tmp_path / "fp32.onnx").run(None, {"ids": ids})
    quantized = _session(tmp_path / "int8.onnx")
    (result,) = quantized.run(None, {"ids": ids})
    assert np.abs(result - reference).max() < 0.03 * np.abs(reference).max()
    # each token has its own activation scale: a row comes out the same, bit for bit, alone or in a batch
    for row in range(len(ids)):
        (alone,) = quantized.run(None, {"ids": ids[row : row + 1]})
        assert np.array_equal(alone[0], result[row])


def test_signed_weights_hold_the_same_integers_and_give_the_same_results(tmp_path: Path) -> None:
    _model(tmp_path / "fp32.onnx")
    quantize_per_token(str(tmp_path / "fp32.onnx"), str(tmp_path / "int8.onnx"))
    unsigned = onnx.load(tmp_path / "int8.onnx")
    model = onnx.load(tmp_path / "int8.onnx")
    assert signed_weights(model) == 1
    assert signed_weights(model) == 0  # nothing left to convert
    before = {i.name: numpy_helper.to_array(i) for i in unsigned.graph.initializer}
    after = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    (node,) = [n for n in model.graph.node if n.op_type == "MatMulIntegerToFloat"]
    weight, zero = after[node.input[1]], after[node.input[5]]
    assert weight.dtype == np.int8 and zero.dtype == np.int8 and int(zero) == 0
    assert np.array_equal(weight.astype(np.int16), before[node.input[1]].astype(np.int16) - 128)
    assert after[node.input[4]].dtype == np.uint8  # the activations' zero point stays 128
    onnx.checker.check_model(model)

    ids = np.random.default_rng(2).integers(0, 500, size=(3, 7))
    (reference,) = _session(tmp_path / "int8.onnx").run(None, {"ids": ids})
    if exact_signed_kernel():
        onnx.save(model, tmp_path / "signed.onnx")
        (result,) = _session(tmp_path / "signed.onnx").run(None, {"ids": ids})
        assert np.array_equal(result, reference)
    # the service's sessions read a signed copy only where that changes no result
    (served,) = _session(signed_copy(tmp_path / "int8.onnx", tmp_path / "cache")).run(None, {"ids": ids})
    assert np.array_equal(served, reference)


def test_the_signed_copy_is_written_once_and_only_where_it_helps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _model(tmp_path / "fp32.onnx")
    quantize_per_token(str(tmp_path / "fp32.onnx"), str(tmp_path / "int8.onnx"))
    quantize_weights(str(tmp_path / "fp32.onnx"), str(tmp_path / "weights.onnx"), min_elements=1)
    cache = tmp_path / "cache"
    monkeypatch.setattr(onnxrt, "exact_signed_kernel", lambda: False)
    assert signed_copy(tmp_path / "int8.onnx", cache) == tmp_path / "int8.onnx"
    assert not cache.exists()

    monkeypatch.setattr(onnxrt, "exact_signed_kernel", lambda: True)
    copy = signed_copy(tmp_path / "int8.onnx", cache)
    assert copy.parent == cache / "signed" and copy.suffix == ".onnx"
    kinds = {i.data_type for i in onnx.load(copy).graph.initializer if i.name.endswith("_w_q")}
    assert kinds == {TensorProto.INT8}
    written = copy.stat().st_ino  # a copy written again would be a new file
    assert signed_copy(tmp_path / "int8.onnx", cache) == copy and copy.stat().st_ino == written
    assert [p.name for p in cache.glob("signed/*.partial")] == []
    # a model written anew, replaced or in place, is copied anew
    shutil.copyfile(tmp_path / "int8.onnx", tmp_path / "first.onnx")
    _model(tmp_path / "fp32-other.onnx", seed=1)
    quantize_per_token(str(tmp_path / "fp32-other.onnx"), str(tmp_path / "other.onnx"))
    os.replace(tmp_path / "other.onnx", tmp_path / "int8.onnx")
    replaced = signed_copy(tmp_path / "int8.onnx", cache)
    assert replaced != copy and onnx.load(replaced) != onnx.load(copy)
    shutil.copyfile(tmp_path / "first.onnx", tmp_path / "int8.onnx")
    os.utime(tmp_path / "int8.onnx", ns=(time.time_ns() + 10**9,) * 2)  # written a moment later
    again = signed_copy(tmp_path / "int8.onnx", cache)
    assert again not in {copy, replaced} and onnx.load(again) == onnx.load(copy)

    # a model with nothing to sign is read as it is, and remembered as such
    assert signed_copy(tmp_path / "weights.onnx", cache) == tmp_path / "weights.onnx"
    assert len(list(cache.glob("signed/*.unsigned"))) == 1
    # a cache that cannot be written: the model as it is
    (tmp_path / "a-file").write_text("")
    assert signed_copy(tmp_path / "int8.onnx", tmp_path / "a-file") == tmp_path / "int8.onnx"


def test_signed_weights_leave_other_models_alone(tmp_path: Path) -> None:
    _model(tmp_path / "fp32.onnx")
    quantize_weights(str(tmp_path / "fp32.onnx"), str(tmp_path / "int8.onnx"), min_elements=1)
    model = onnx.load(tmp_path / "int8.onnx")
    assert signed_weights(model) == 0
    assert model == onnx.load(tmp_path / "int8.onnx")


def test_the_cache_keeps_the_signed_copies_used_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(onnxrt, "exact_signed_kernel", lambda: True)
    monkeypatch.setattr(onnxrt, "KEPT_COPIES", 2)
    _model(tmp_path / "fp32.onnx")
    models = []
    for i in range(3):  # three models that differ in one weight
        fp32 = onnx.load(tmp_path / "fp32.onnx")
        weight = next(init for init in fp32.graph.initializer if init.name == "weight")
        values = numpy_helper.to_array(weight).copy()
        values[0, 0] += i
        weight.CopyFrom(numpy_helper.from_array(values, "weight"))
        onnx.save(fp32, tmp_path / f"fp32-{i}.onnx")
        quantize_per_token(str(tmp_path / f"fp32-{i}.onnx"), str(tmp_path / f"int8-{i}.onnx"))
        models.append(tmp_path / f"int8-{i}.onnx")
    cache = tmp_path / "cache"
    first, second = signed_copy(models[0], cache), signed_copy(models[1], cache)
    os.utime(second, (1, 1))  # used long ago
    os.utime(first)
    third = signed_copy(models[2], cache)
    assert first.is_file() and third.is_file() and not second.exists()
    assert {p.name.split(".")[0] for p in (cache / "signed").iterdir()} == {first.stem, third.stem}
    assert signed_copy(models[1], cache) == second and second.is_file()  # written again when next used


def test_a_copy_dropped_meanwhile_loads_the_model_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _model(tmp_path / "fp32.onnx")
    quantize_per_token(str(tmp_path / "fp32.onnx"), str(tmp_path / "int8.onnx"))
    monkeypatch.setattr(onnxrt, "signed_copy", lambda path: tmp_path / "dropped.onnx")
    ids = np.random.default_rng(3).integers(0, 500, size=(2, 5))
    (result,) = onnxrt.session(tmp_path / "int8.onnx").run(None, {"ids": ids})
    (reference,) = _session(tmp_path / "int8.onnx").run(None, {"ids": ids})
    assert np.array_equal(result, reference)
