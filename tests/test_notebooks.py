"""The tutorials: both notebooks run top to bottom in a fresh kernel, stay twins, keep their outputs
small and name no local path; every code block of the "from your notebook" pages runs on its own."""

import contextlib
import io
import json
import re
import sys
import tokenize
from pathlib import Path

import pytest
from helpers import require_mnist

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [ROOT / "examples" / "tutorial_pt-BR.ipynb", ROOT / "examples" / "tutorial_en.ipynb"]
DOC_PAGES = [ROOT / "docs" / "do-notebook-para-a-biblioteca.md", ROOT / "docs" / "from-notebook-to-library.md"]
KERNEL = "numpy-mlp-tests"


@pytest.fixture
def test_kernel(tmp_path, monkeypatch):
    """A kernel spec running this very Python, found before any other (JUPYTER_PATH comes first)."""
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "numpy-mlp tests", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return KERNEL


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_top_to_bottom_without_errors_or_warnings(path, test_kernel, tmp_path, monkeypatch):
    # MNIST comes through the library's loader, pointed at the shared copy by the environment only.
    monkeypatch.setenv("NUMPY_MLP_DATA", str(require_mnist()))
    # One BLAS thread: the matrices are small, and on a busy 2-core machine threads that wait
    # for each other made a run three times slower.
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    notebook = nbformat.read(path, as_version=4)
    workdir = tmp_path / "run"
    workdir.mkdir()
    client = nbclient.NotebookClient(notebook, timeout=180, kernel_name=test_kernel,
                                     resources={"metadata": {"path": str(workdir)}})
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "") if output.get("name") == "stderr" else ""
            assert "Warning" not in text, f"cell {cell.id} warns: {text}"
    assert list(workdir.iterdir()) == []  # it wrote no file beside itself


def code_skeleton(source: str) -> list[str]:
    """The code's tokens with comments dropped and every string literal blanked: the language-free part."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith("%")]
    tokens = tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline)
    kept = []
    for token in tokens:
        if token.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            continue
        kept.append("<string>" if token.type == tokenize.STRING or token.type == getattr(
            tokenize, "FSTRING_MIDDLE", -1) else token.string)
    return kept


def test_the_two_notebooks_are_twins_that_differ_only_in_prose():
    pt, en = (nbformat.read(path, as_version=4) for path in NOTEBOOKS)
    assert [cell.cell_type for cell in pt.cells] == [cell.cell_type for cell in en.cells]
    for pt_cell, en_cell in zip(pt.cells, en.cells):
        if pt_cell.cell_type == "code":
            assert code_skeleton(pt_cell.source) == code_skeleton(en_cell.source), \
                f"code cells {pt_cell.id} and {en_cell.id} differ beyond comments and strings"
    pt_headings = [line for cell in pt.cells for line in cell.source.splitlines() if line.startswith("## ")]
    en_headings = [line for cell in en.cells for line in cell.source.splitlines() if line.startswith("## ")]
    assert len(pt_headings) == len(en_headings) >= 16


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_opens_anywhere_and_installs_only_what_is_missing(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.nbformat == 4 and notebook.metadata.kernelspec.name == "python3"
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    first = code[0]
    assert re.search(r"try:\n\s+import numpy_mlp\nexcept ImportError:.*\n\s+%pip install -q \"numpy-mlp\[all\]\"",
                     first), first
    assert all("%pip" not in source for source in code[1:])
    # No file beside the notebook and no path of this machine: data comes from the library's loaders.
    for source in code:
        assert not re.search(r"shared|/work|NUMPY_MLP_DATA|open\(|read_csv\(", source), source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_committed_outputs_stay_small(path):
    assert path.stat().st_size < 400_000
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            for kind, data in output.get("data", {}).items():
                if kind.startswith("image/"):
                    assert len(data) * 3 // 4 < 50_000, f"an image of {cell.id} is over 50 KB"
            assert output.get("output_type") != "error"


def python_blocks(page: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), flags=re.S | re.M)


@pytest.mark.parametrize("page", DOC_PAGES, ids=lambda page: page.name)
def test_every_code_block_of_the_notebook_pages_runs_on_its_own(page):
    blocks = python_blocks(page)
    assert len(blocks) == 14  # one per bug, the notebook fixed, and the library's version
    outputs = []
    for number, block in enumerate(blocks, start=1):
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            exec(compile(block, f"{page.name} block {number}", "exec"), {"__name__": "__main__"})
        assert output.getvalue(), f"block {number} of {page.name} printed nothing"
        outputs.append(output.getvalue())
    # The last two blocks train the fixed notebook and the library on XOR: both learn it.
    assert re.search(r"^(accuracy|acerto): 1\.0$", outputs[-2], flags=re.M), outputs[-2]
    assert outputs[-1].strip() == "[0 1 1 0]"


def test_the_two_pages_are_twins():
    pt, en = (python_blocks(page) for page in DOC_PAGES)
    assert [code_skeleton(block) for block in pt] == [code_skeleton(block) for block in en]
