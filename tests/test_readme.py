"""The READMEs work as written, on a user's machine: every example runs on its own.

The rule, for README.md and README.pt-BR.md alike:
- every ```python block runs alone, in a fresh interpreter whose working folder is an empty
  temporary one (so a block cannot lean on names or files from an earlier block);
- a ```bash block runs the same way when every command in it is a ``numpy-mlp`` command;
  other shell blocks (installing, running the tests) are instructions, not examples;
- a block preceded by the line ``<!-- skip-test: why -->`` is not run (a full MNIST
  training, a command with placeholders);
- no block points at the developers' ``../shared`` folder, skipped or not;
- a block that mentions MNIST finds the files through $NUMPY_MLP_DATA (``require_mnist()``);
  every block gets a private user cache, so nothing is written outside its folder.
Every local link and picture a README names exists; pictures stay small.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import require_mnist

ROOT = Path(__file__).resolve().parents[1]
READMES = ["README.md", "README.pt-BR.md"]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.M | re.S)
SKIP_MARKER = re.compile(r"<!--\s*skip-test:\s*(.+?)\s*-->\s*$")
PICTURE_LIMITS = {".png": 100_000, ".gif": 1_000_000}  # bytes

def code_blocks(name: str) -> list[tuple[int, str, str, str | None]]:
    """(line, language, code, skip reason or None) for every fenced block of a README."""
    text = (ROOT / name).read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        before = text[:match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = SKIP_MARKER.search(before)
        line = text.count("\n", 0, match.start()) + 1
        blocks.append((line, match.group(1), match.group(2), marker.group(1) if marker else None))
    return blocks


def is_numpy_mlp_command(code: str) -> bool:
    commands = [line for line in code.replace("\\\n", " ").splitlines() if line.strip()
                and not line.lstrip().startswith("#")]
    return bool(commands) and all(line.split()[0] == "numpy-mlp" for line in commands)


def runnable_blocks():
    for name in READMES:
        for line, language, code, skip in code_blocks(name):
            if language not in ("python", "bash"):
                continue
            yield pytest.param(name, language, code, skip, id=f"{name}:{line}")


@pytest.mark.parametrize("name, language, code, skip", list(runnable_blocks()))
def test_code_block_runs_on_its_own(name, language, code, skip, tmp_path):
    assert "../shared" not in code, "a user has no ../shared folder"
    if skip is not None:
        pytest.skip(skip)
    if language == "bash" and not is_numpy_mlp_command(code):
        pytest.skip("a shell instruction (installing, testing), not a numpy-mlp example")
    env = {**os.environ, "MPLBACKEND": "Agg", "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "LOCALAPPDATA": str(tmp_path / "cache")}
    env.pop("NUMPY_MLP_DATA", None)
    if "mnist" in code.lower():
        env["NUMPY_MLP_DATA"] = str(require_mnist())
    if language == "python":
        command = [sys.executable, "-W", "error::RuntimeWarning", "-c", code]
    else:
        # The numpy-mlp of the Python running the tests, first on the PATH.
        scripts = os.path.dirname(sys.executable)
        assert shutil.which("numpy-mlp", path=scripts), f"numpy-mlp is not installed in {scripts}"
        env["PATH"] = scripts + os.pathsep + env.get("PATH", "")
        command = ["bash", "-e", "-o", "pipefail", "-c", code]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{name}: the block failed:\n{code}\n{result.stderr[-3000:]}"


def local_targets(name: str) -> list[str]:
    """The files a README links to or shows, relative to the repository (web links left out)."""
    text = (ROOT / name).read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r"<img [^>]*src=\"([^\"]+)\"", text)
    return [target.split("#")[0] for target in targets
            if not re.match(r"[a-z]+:", target) and not target.startswith("#")]


@pytest.mark.parametrize("name", READMES)
def test_local_links_and_pictures_exist_and_pictures_are_small(name):
    for target in local_targets(name):
        path = ROOT / target
        assert path.exists(), f"{name} links to {target}, which does not exist"
        limit = PICTURE_LIMITS.get(path.suffix.lower())
        if limit is not None:
            assert path.stat().st_size <= limit, f"{target} is over {limit // 1000} KB"


def test_the_portuguese_readme_has_the_same_quick_start_and_links_back():
    def quick_start(name):
        return [code for _, _, code, _ in code_blocks(name)[:2]]

    assert quick_start("README.pt-BR.md") == quick_start("README.md")
    assert "](README.md)" in (ROOT / "README.pt-BR.md").read_text(encoding="utf-8")
