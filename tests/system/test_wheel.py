"""The wheel holds one import package, `factdesk`, its console script and the data the runtime reads (built by pip:
a process, so a system test; unit/test_packaging.py keeps pyproject's package list in step with the folders)."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_wheel_holds_one_top_level_package(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("factdesk-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        top_level = z.read(next(n for n in names if n.endswith(".dist-info/top_level.txt"))).decode().split()
        entry_points = z.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert top_level == ["factdesk"]
    assert {n.split("/")[0] for n in names if not n.startswith("factdesk-")} == {"factdesk"}
    assert "factdesk = factdesk.service.cli:main" in entry_points
    # the data the runtime reads travels with the code
    for data in (
        "index/verdict/calibration.json",
        "index/verdict/domain.json",  # the claim-domain model that the general fits read
        "index/stance/nli-minilm-l6/model.onnx",
        "index/stance/nli-minilm-l12/model.onnx",  # a member of the accurate model
        "index/stance/nli-minilm-l6-l12/members.json",
        "seeds/goma-2025-01.json",
    ):
        assert f"factdesk/{data}" in names
