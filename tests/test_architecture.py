"""The rules of the house (docs/ARCHITECTURE.md), checked on the source itself.

Arrows point down: the library never imports the CLI, the Streamlit widgets or Streamlit; there
is no import loop; imports between the package's modules stand at the top of each file; every
module keeps to one topic (about 600 lines at most) and says what is public (``__all__``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GEO = ROOT / "geo"
MAX_LINES = 600
MAX_ARGS = 8


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(GEO.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.Module, runtime_only: bool) -> list[ast.ImportFrom | ast.Import]:
    """Every import statement; with ``runtime_only`` those under ``if TYPE_CHECKING:`` left out."""
    found: list[ast.ImportFrom | ast.Import] = []

    def visit(node: ast.AST) -> None:
        if runtime_only and isinstance(node, ast.If) and _is_type_checking(node):
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _targets(node: ast.ImportFrom | ast.Import) -> list[str]:
    """The modules an import statement loads (a ``from pkg import submodule`` loads the submodule)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    module = node.module or ""
    subs = [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in MODULES]
    return subs if len(subs) == len(node.names) else [module, *subs]


def test_the_library_never_imports_the_cli_the_ui_or_streamlit() -> None:
    offenders = []
    for name, path in MODULES.items():
        if name.startswith("geo.cli"):
            continue
        for node in _imports(ast.parse(path.read_text()), runtime_only=False):
            for target in _targets(node):
                if target.split(".")[0] in ("ui", "streamlit", "streamlit_folium") or (
                    target.startswith("geo.cli")
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {target}")
    assert offenders == []


def test_no_import_loop() -> None:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        deps = set()
        for node in _imports(ast.parse(path.read_text()), runtime_only=True):
            deps.update(t for t in _targets(node) if t in MODULES and t != name)
        graph[name] = deps
    # depth-first search for a back edge
    state: dict[str, int] = {}
    loops = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                loops.append(" → ".join([*trail[trail.index(dep) :], dep]))
            elif dep not in state:
                visit(dep, [*trail, dep])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert loops == []


def test_imports_between_modules_stand_at_the_top() -> None:
    offenders = []
    for path in MODULES.values():
        tree = ast.parse(path.read_text())
        top = {id(node) for node in tree.body}
        top |= {
            id(child)
            for node in tree.body
            if isinstance(node, ast.If) and _is_type_checking(node)
            for child in node.body
        }
        for node in _imports(tree, runtime_only=False):
            if id(node) in top:
                continue
            if any(t == "geo" or t.startswith("geo.") for t in _targets(node)):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


@pytest.mark.parametrize(
    "path", [*MODULES.values(), ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py"))], ids=str
)
def test_modules_keep_to_one_topic(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    limit = 150 if path.name == "app.py" else MAX_LINES
    assert lines <= limit, f"{path.relative_to(ROOT)} has {lines} lines (at most {limit})"


def test_no_function_takes_more_than_eight_parameters() -> None:
    offenders = []
    for path in [*MODULES.values(), *sorted((ROOT / "ui").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                args = node.args
                names = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
                names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
                count = len([n for n in names if n not in ("self", "cls")])
                if count > MAX_ARGS:
                    offenders.append(
                        f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({count})"
                    )
    assert offenders == []


def test_every_module_says_what_is_public() -> None:
    missing = []
    for name, path in MODULES.items():
        if path.name == "__main__.py":
            continue
        tree = ast.parse(path.read_text())
        declared = [
            node
            for node in tree.body
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
        ]
        if not declared:
            missing.append(name)
    assert missing == []


def test_private_names_stay_in_their_module() -> None:
    offenders = []
    for path in [*MODULES.values(), *sorted((ROOT / "ui").glob("*.py")), ROOT / "app.py"]:
        for node in _imports(ast.parse(path.read_text()), runtime_only=False):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(("geo", "ui")):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {alias.name}")
    assert offenders == []
