"""Count the house rules a reviewer checks, from the source alone (AST and import graph).

    python3 benchmarks/house_counts.py [--package maxent] [--max-lines 800] [--max-body 80]

Prints, for every module of the package:

* upward imports: a module importing a name of the package's ``__init__`` (``from . import
  __version__``, ``from maxent import solve``; a submodule, ``from . import models``, is
  not one);
* import cycles among the modules (imports at module level, outside ``TYPE_CHECKING``);
* private names imported across modules (``from ._x import _helper``);
* modules over ``--max-lines`` lines;
* function bodies (from the first statement after the docstring to the last line) over
  ``--max-body`` lines, Dataset builders apart (functions that call ``dataset(...)`` of
  ``maxent._dataset``, or build an ``xr.Dataset`` by hand, are listed but not counted);
* Datasets built by hand: ``xr.Dataset(...)`` called anywhere but in ``_dataset.py`` (every
  Dataset goes through its one builder).

The exit status is 0; the counts are for a reviewer to read (and to redo).
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _modules(package: Path) -> dict[str, Path]:
    """``{dotted name: path}`` of every module of the package (``__init__`` as the package)."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of ``from <level dots><target> import ...`` inside ``module``."""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module) -> Iterator[tuple[ast.stmt, bool]]:
    """Every import statement, with whether it runs at module import time."""

    def walk(nodes: list[ast.stmt], top: bool) -> Iterator[tuple[ast.stmt, bool]]:
        for node in nodes:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                yield node, top
            elif isinstance(node, ast.If) and _type_checking(node):
                yield from walk(node.orelse, top)
                yield from walk(node.body, False)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield from walk(node.body, False)
            elif isinstance(node, ast.ClassDef):
                yield from walk(node.body, top)
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    children = getattr(node, field, None)
                    if isinstance(children, list):
                        yield from walk([c for c in children if isinstance(c, ast.stmt)], top)
                        for h in children:
                            if isinstance(h, ast.ExceptHandler):
                                yield from walk(h.body, top)

    yield from walk(tree.body, True)


def _is_builder(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            f = sub.func
            name = getattr(f, "id", None) or getattr(f, "attr", "")
            if name in ("dataset", "Dataset"):
                return True
    return False


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = node.body
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
        and len(body) > 1
    ):
        body = body[1:]
    return int(node.end_lineno or body[-1].lineno) - body[0].lineno + 1


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def count(package_name: str, max_lines: int, max_body: int) -> dict[str, list[str]]:
    package = ROOT / package_name
    modules = _modules(package)
    found: dict[str, list[str]] = {
        "upward imports": [],
        "import cycles": [],
        "private names across modules": [],
        f"modules over {max_lines} lines": [],
        f"function bodies over {max_body} lines": [],
        f"Dataset builders over {max_body} lines (excepted)": [],
        "Datasets built by hand": [],
    }
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        rel = path.relative_to(ROOT)
        is_package = path.name == "__init__.py"
        n_lines = len(text.splitlines())
        if n_lines > max_lines:
            found[f"modules over {max_lines} lines"].append(f"{rel}: {n_lines} lines")
        for node, top in _imports(tree):
            if isinstance(node, ast.Import):
                targets = [(a.name, None) for a in node.names]
            else:
                base = (
                    _resolve(module, is_package, node.level, node.module)
                    if node.level
                    else node.module or ""
                )
                targets = [(base, a.name) for a in node.names]
            for base, name in targets:
                if not (base == package_name or base.startswith(package_name + ".")):
                    continue
                full = f"{base}.{name}" if name else base
                if full in modules:  # a submodule
                    if top and module != package_name:
                        graph[module].add(full)
                    continue
                if base == package_name and module != package_name:
                    found["upward imports"].append(
                        f"{rel}:{node.lineno}: from {package_name} import {name or '(package)'}"
                    )
                    continue
                if base in modules and top and module != package_name:
                    graph[module].add(base)
                if name and name.startswith("_") and not name.startswith("__") and base != module:
                    found["private names across modules"].append(
                        f"{rel}:{node.lineno}: {name} from {base}"
                    )
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "Dataset"
                and path.name != "_dataset.py"
            ):
                found["Datasets built by hand"].append(f"{rel}:{node.lineno}")
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = _body_lines(node)
                if lines > max_body:
                    key = (
                        f"Dataset builders over {max_body} lines (excepted)"
                        if _is_builder(node)
                        else f"function bodies over {max_body} lines"
                    )
                    found[key].append(f"{rel}:{node.lineno}: {node.name}, {lines} lines")
    found["import cycles"] = [" -> ".join(c) for c in _cycles(graph)]
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="maxent")
    parser.add_argument("--max-lines", type=int, default=800)
    parser.add_argument("--max-body", type=int, default=80)
    args = parser.parse_args(argv)
    found = count(args.package, args.max_lines, args.max_body)
    n_modules = len(_modules(ROOT / args.package))
    print(f"{args.package}: {n_modules} modules")
    for what, items in found.items():
        print(f"{what}: {len(items)}")
        for item in items:
            print(f"    {item}")


if __name__ == "__main__":
    main()
