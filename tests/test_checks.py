"""The house's one place for argument checks: no module hand-rolls an int or real check.

Every public integer or real parameter goes through :mod:`maxent._checks` (``integer``,
``real_number``, ``as_float_array`` and the array checks), so that every one accepts
numpy scalars and dimensionless quantities and refuses bool, NaN, strings and huge
integers with the same kind of message.  The scan reads the source as a syntax tree: a
check is an ``if`` whose body raises ``InvalidInputError`` and whose test asks for a
numeric type (``isinstance(x, (int, np.integer))``), or, in a public function, compares a
parameter with ``<``/``>`` or asks whether it is finite (elementwise tests of arrays, inside
``np.any``/``np.all``, are array checks and not counted).  Renaming a variable or rewording
a message does not hide one.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from adversarial.test_keywords import CALLS  # tests/ is on the path (no __init__.py)

import maxent
from maxent import models

PACKAGE = Path(maxent.__file__).resolve().parent

#: the validators themselves
HOME = {"_checks.py"}
#: modules of other parts of the project that still hand-roll checks (issue 24, debt 4):
#: their owners move them to _checks; listed here until then (none left)
NOT_YET: set[str] = set()

_NUMERIC_TYPES = {
    "int",
    "float",
    "bool",
    "complex",
    "Real",
    "Integral",
    "Number",
    "integer",
    "floating",
    "number",
    "bool_",
    "signedinteger",
    "unsignedinteger",
}


def _names(node: ast.AST) -> set[str]:
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.Attribute):
            out.add(n.attr)
    return out


def _raises_invalid_input(body: list[ast.stmt]) -> bool:
    for stmt in body:
        for n in ast.walk(stmt):
            if isinstance(n, ast.Raise) and isinstance(n.exc, ast.Call):
                if "InvalidInputError" in _names(n.exc.func):
                    return True
    return False


def _public(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return not fn.name.startswith("_") or fn.name in ("__init__", "__post_init__")


def _hand_rolled(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[int, str]]:
    params = {a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs}
    found = []
    for node in ast.walk(fn):
        if not (isinstance(node, ast.If) and _raises_invalid_input(node.body)):
            continue
        # elementwise tests of arrays (inside any/all) are array checks, not scalar ones
        arrays = {
            id(n)
            for call in ast.walk(node.test)
            if isinstance(call, ast.Call) and _names(call.func) & {"any", "all"}
            for n in ast.walk(call)
        }
        subs = (sub for sub in ast.walk(node.test) if id(sub) not in arrays)
        reason = next((r for r in (_reason(fn, params, sub) for sub in subs) if r), None)
        if reason:
            found.append((node.lineno, reason))
    return found


def _reason(fn: ast.FunctionDef | ast.AsyncFunctionDef, params: set[str], sub: ast.AST) -> str:
    """Why the test node ``sub`` is a hand-rolled check ('' if it is not)."""
    if (
        isinstance(sub, ast.Call)
        and isinstance(sub.func, ast.Name)
        and sub.func.id == "isinstance"
        and len(sub.args) == 2
        and _names(sub.args[1]) & _NUMERIC_TYPES
    ):
        return "numeric type test " + ast.unparse(sub)
    if not _public(fn):
        return ""
    if isinstance(sub, ast.Compare):
        order = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
        operands = [sub.left, *sub.comparators]
        if any(isinstance(op, order) for op in sub.ops) and any(
            isinstance(o, ast.Name) and o.id in params for o in operands
        ):
            return "range test " + ast.unparse(sub)
    if isinstance(sub, ast.Call):
        func = sub.func.attr if isinstance(sub.func, ast.Attribute) else ""
        if func in ("isfinite", "isnan", "isinf") and any(
            isinstance(a, ast.Name) and a.id in params for a in sub.args
        ):
            return "finiteness test " + ast.unparse(sub)
    return ""


def _scan(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.name}:{line} in {fn.name}(): {what}"
        for fn in ast.walk(tree)
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
        for line, what in _hand_rolled(fn)
    ]


def test_no_module_hand_rolls_an_int_or_real_check():
    modules = sorted(p for p in PACKAGE.glob("*.py") if p.name not in HOME | NOT_YET)
    assert len(modules) > 20
    found = [hit for path in modules for hit in _scan(path)]
    assert not found, "checks to move to maxent._checks:\n" + "\n".join(found)


def test_the_scan_finds_the_checks_it_is_for(tmp_path):
    source = """
def f(n, x, *, tol=1e-3):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise InvalidInputError("`n` must be an int")
    if not 0 < tol < 1:
        raise InvalidInputError("`tol`")
    if not np.isfinite(x):
        raise InvalidInputError("`x`")
    return n

def _internal(count):
    if count > 10:  # a relation between values already checked: not flagged
        raise InvalidInputError("too many")
"""
    path = tmp_path / "sample.py"
    path.write_text(source)
    found = _scan(path)
    assert [hit.split(": ")[1].split()[0] for hit in found] == ["numeric", "range", "finiteness"]


# ---------------------------------------------------------------------------- one row each
def _numeric_parameters(func: object) -> list[str]:
    """Parameters of ``func`` whose default is an int or a float (bool excluded)."""
    sig = inspect.signature(func)
    return [
        name
        for name, p in sig.parameters.items()
        if isinstance(p.default, (int, float)) and not isinstance(p.default, bool)
    ]


#: public functions of this part of the project whose int/real keywords need a row in
#: tests/adversarial/test_keywords.py (others' modules: see NOT_YET)
FUNCTIONS = {
    "canonical": maxent.canonical,
    "grand_canonical": maxent.grand_canonical,
    "softmax": maxent.softmax,
    "temperature_sweep": maxent.temperature_sweep,
    "fit": maxent.fit,
    "solve": maxent.solve,
    "plot_populations": maxent.plot_populations,
    **{
        name: getattr(models, name)
        for name in models.__all__
        if inspect.isfunction(getattr(models, name)) and name not in ("atom", "lattice_spectrum")
    },
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_int_or_real_keyword_has_an_error_table_row(name):
    missing = [p for p in _numeric_parameters(FUNCTIONS[name]) if f"{name}.{p}" not in CALLS]
    assert not missing, f"no row in test_keywords.CALLS for {name}: {missing}"
