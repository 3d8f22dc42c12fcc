"""The command line as a process: the console script's help, and the README's examples run by bash as written
(integration/test_cli.py calls `main` in-process)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_console_script_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "factdesk.service.cli", "check", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    assert "--top-k" in out and "--format" in out


@pytest.mark.slow
def test_the_readmes_command_line_examples_run_as_written(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Command line", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    (tmp_path / "seeds").symlink_to(ROOT / "seeds")
    env = {**os.environ, "FACTDESK_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)}
    ran = []
    for line in block.splitlines():
        command = line.split("  #", 1)[0].strip()
        if not command or " serve" in command:  # a server runs until stopped: its examples are tested elsewhere
            continue
        command = command.replace(".venv/bin/factdesk", f"{sys.executable} -m service.cli")
        done = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert done.returncode == 0, (line, done.stderr[-2000:])
        ran.append((line, done.stdout))
    assert len(ran) >= 10
    assert ran[-1][1] == "deleted 294fb351d4f3dc25\n"  # the seed article
    assert (tmp_path / "results.jsonl").read_text().count("\n") == 2
