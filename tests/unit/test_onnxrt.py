from pathlib import Path

import pytest

from factdesk.index import onnxrt
from factdesk.index.onnxrt import available_cores, length_batches

AFFINITY = available_cores(Path("/nonexistent"))


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"cpu.max": "150000 100000\n"}, min(AFFINITY, 2)),  # --cpus 1.5: two runs side by side
        ({"cpu.max": "50000 100000\n"}, 1),
        ({"cpu.max": "max 100000\n"}, AFFINITY),
        ({"cpu/cpu.cfs_quota_us": "100000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, AFFINITY),
        ({}, AFFINITY),
    ],
)
def test_cores_follow_the_container_quota(tmp_path: Path, files: dict[str, str], expected: int) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert available_cores(tmp_path) == expected


def test_length_batches_group_similar_lengths_under_both_caps() -> None:
    lengths = [30, 5, 12, 6, 40, 7, 5]
    assert length_batches(lengths, 16) == [[1, 6, 3, 5, 2, 0, 4]]  # ascending length, one batch
    assert length_batches(lengths, 3) == [[1, 6, 3], [5, 2, 0], [4]]
    # padded to its longest text a batch holds at most 24 tokens: 5, 5, 6 | 7, 12 | 30 | 40
    assert length_batches(lengths, 16, max_tokens=24) == [[1, 6, 3], [5, 2], [0], [4]]
    assert length_batches([], 16, 24) == []


def test_weights_stay_unsigned_off_x86(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(onnxrt.platform, "machine", lambda: "aarch64")
    onnxrt.exact_signed_kernel.cache_clear()
    try:
        assert onnxrt.exact_signed_kernel() is False
    finally:
        onnxrt.exact_signed_kernel.cache_clear()
