"""The distribution installs one import package, `factdesk`, whose sub-packages are the repository's folders."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
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
