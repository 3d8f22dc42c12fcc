"""The distribution installs one import package, `factdesk`, whose sub-packages are the repository's folders."""

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("index", "service", "seeds", "training")


def _setuptools() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_every_folder_with_code_is_a_listed_package() -> None:
    on_disk = {
        "factdesk." + ".".join(init.parent.relative_to(ROOT).parts)
        for folder in FOLDERS
        for init in (ROOT / folder).rglob("__init__.py")
    }
    assert set(_setuptools()["packages"]) == on_disk
    assert _setuptools()["package-dir"] == {f"factdesk.{folder}": folder for folder in FOLDERS}


@pytest.mark.slow
def test_the_wheel_holds_one_top_level_package(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)],
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
    for data in ("index/verdict/calibration.json", "index/stance/nli-minilm-l6/model.onnx", "seeds/goma-2025-01.json"):
        assert f"factdesk/{data}" in names
