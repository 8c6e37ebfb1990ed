"""The shape of the code, as docs/architecture.md states it: no import cycle between the modules
(function-level imports included), and no function longer than 40 lines of code."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "numpy_mlp"
MAX_LINES = 40


def module_name(path: Path) -> str:
    parts = ["numpy_mlp", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(path: Path) -> set[str]:
    """The numpy_mlp modules that ``path`` imports anywhere in its code, and their parent packages."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from . import training`
    closure = set()
    for module in found:
        while module.startswith("numpy_mlp"):  # importing a.b.c runs a and a.b first
            closure.add(module)
            module = module.rpartition(".")[0]
    return {module for module in closure if module in MODULES and module != name}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A list of modules that import each other in a circle, or None."""
    state = {}

    def visit(module, path):
        state[module] = "open"
        for other in sorted(graph[module]):
            if state.get(other) == "open":
                return path[path.index(other):] + [other]
            if other not in state:
                cycle = visit(other, path + [other])
                if cycle:
                    return cycle
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module, [module])
            if cycle:
                return cycle
    return None


def test_the_static_import_graph_has_no_cycle():
    graph = {name: imported_modules(path) for name, path in MODULES.items()}
    # Package __init__ files import their submodules; a submodule importing its own package
    # (e.g. numpy_mlp.datasets.csv running numpy_mlp.datasets) is how Python works, not a cycle of ours.
    for name in graph:
        graph[name] = {other for other in graph[name] if not name.startswith(other + ".")}
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a"}}) is None


def lines_of_code(function: ast.AST, source: list[str]) -> int:
    """Non-blank, non-comment lines of a function, without its docstring or argparse declarations."""
    skipped = set()
    first = function.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        skipped.update(range(first.lineno, first.end_lineno + 1))
    for node in ast.walk(function):
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                and getattr(node.value.func, "attr", "") == "add_argument"):
            skipped.update(range(node.lineno, node.end_lineno + 1))
    return sum(1 for number in range(function.lineno, function.end_lineno + 1)
               if number not in skipped and source[number - 1].strip()
               and not source[number - 1].strip().startswith("#"))


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_function_is_longer_than_40_lines_of_code(name):
    source = MODULES[name].read_text()
    lines = source.splitlines()
    long = [f"{node.name} (line {node.lineno}): {lines_of_code(node, lines)} lines"
            for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and lines_of_code(node, lines) > MAX_LINES]
    assert not long, f"{name}: " + "; ".join(long)
