"""The package as a user meets it: a fast lazy import, the public names, short reprs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import maxent

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("scipy", "xarray", "matplotlib", "pandas", "dask", "maxent.solver", "maxent.models")


def _run(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_import_is_lazy() -> None:
    loaded = _run(f"import sys, maxent; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    assert loaded == "", f"`import maxent` imported {loaded}"


def test_first_use_imports_the_name() -> None:
    out = _run(
        "import sys, maxent; f = maxent.solve; print(f.__module__, "
        "'maxent.solver' in sys.modules, 'maxent.models' in sys.modules)"
    )
    assert out == "maxent.solver True False"


def test_every_public_name_resolves() -> None:
    lazy = maxent._LAZY  # the table behind maxent.__getattr__
    assert set(lazy) == set(maxent.__all__) - {"__version__"}, (
        "maxent.__all__ and the lazy-import table in maxent/__init__.py disagree"
    )
    for name in maxent.__all__:
        assert getattr(maxent, name) is not None
    assert set(maxent.__all__) <= set(dir(maxent))
    namespace: dict[str, object] = {}
    exec("from maxent import *", namespace)
    assert set(maxent.__all__) <= set(namespace)
    assert maxent.models.two_level is maxent.models.__dict__["two_level"]


def test_every_public_submodule_is_an_attribute_and_import_stays_lazy() -> None:
    # issue 23: maxent.streaming (and lattice, ising_exact, ...) raised AttributeError
    names = sorted(p.stem for p in (ROOT / "maxent").glob("[!_]*.py"))
    assert {"streaming", "lattice", "ising_exact", "density_of_states", "timeseries"} <= set(
        names
    ) and "fit_plots" in names
    out = _run(
        "import sys, maxent; lazy = [m for m in sys.modules if m.startswith('maxent.')]; "
        f"mods = [getattr(maxent, n) for n in {names!r}]; "
        "print(lazy, all(m.__name__ == 'maxent.' + n for m, n in "
        f"zip(mods, {names!r})), set({names!r}) <= set(dir(maxent)))"
    )
    assert out == "['maxent._version'] True True"


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'solv'"):
        maxent.solv  # noqa: B018


def _fe() -> maxent.CanonicalResult:
    return maxent.canonical(maxent.models.atom("Fe"), temperature=5000.0)


def _big_solve() -> maxent.MaxEntResult:
    x = np.linspace(-1.0, 1.0, 200_001)
    return maxent.solve({"x": x, "x2": x**2}, {"x": 0.1, "x2": 0.3})


def _fit() -> maxent.FitResult:
    w = np.linspace(0.0, 5.0, 80)
    kernel = np.exp(-np.outer(np.linspace(0.0, 3.0, 30), w)) * (w[1] - w[0])
    data = kernel @ np.exp(-((w - 1.5) ** 2))
    return maxent.fit(
        kernel, data + 1e-3 * np.cos(np.arange(30)), np.full(30, 1e-3), penalty="l2", grid=w
    )


def _grand() -> maxent.GrandCanonicalResult:
    e = np.arange(1000.0)
    return maxent.grand_canonical(e, e % 7, temperature=50.0, chemical_potential=1.0)


@pytest.mark.parametrize(
    "make",
    [
        _fe,
        _big_solve,
        _fit,
        _grand,
        lambda: maxent.models.atom("Fe"),
        lambda: maxent.EnergyLevels(np.arange(10_000.0)),
    ],
    ids=["canonical-Fe", "solve-2e5", "fit", "grand", "levels-Fe", "levels-1e4"],
)
def test_repr_is_a_short_summary(make) -> None:
    obj = make()
    text = repr(obj)
    assert len(text) < 1000, text
    assert text.startswith(type(obj).__name__)
    assert max(len(line) for line in text.splitlines()) <= 100
    for field in ("converged", "log_Z", "n_levels", "alpha"):
        if hasattr(obj, field):
            assert f"{field}=" in text


def test_small_arrays_are_shown_in_full() -> None:
    res = maxent.solve({"face": np.arange(1, 7)}, {"face": 4.5})
    text = repr(res)
    assert "p=[0.0544 0.0788 0.1142 0.1654 0.2398 0.3475]" in text
    assert "multipliers=[-0.371]" in text


def _reweighted() -> maxent.ReweightResult:
    rng = np.random.default_rng(0)
    calc = rng.normal(size=(5000, 40))
    return maxent.reweight(calc, np.full(40, 0.1), np.full(40, 0.05), theta=1.0)


def _public_instances() -> dict[str, object]:
    """A realistic instance of every public type a user meets (results, levels, models)."""
    reweighted = _reweighted()
    rng = np.random.default_rng(1)
    return {
        "MaxEntResult": _big_solve(),
        "CanonicalResult": _fe(),
        "GrandCanonicalResult": _grand(),
        "FitResult": _fit(),
        "EnergyLevels": maxent.models.ising_2d(16),
        "SampledEnergyLevels": maxent.wang_landau(
            maxent.IsingModel((4, 4)), ln_f_final=1e-2, seed=0
        ),
        "DensityResult": maxent.density([0.0, 1.0], support=(-np.inf, np.inf)),
        "ReweightResult": reweighted,
        "ReweightPrediction": reweighted.predict(
            rng.normal(size=(5000, 30)), np.zeros(30), np.full(30, 0.1)
        ),
        "BMEExperiment": maxent.read_bme_experiment(ROOT / "tests/data/bme/NOE_exp.dat"),
        "IsingModel": maxent.IsingModel((64, 64)),
        "PottsModel": maxent.PottsModel(maxent.lattice.triangular(8, 8), 3),
        "PairwiseResult": maxent.fit_pairwise(
            rng.integers(0, 3, size=(500, 40)), l2=0.1, method="pseudolikelihood", tol=1e-3
        ),
        "Alignment": maxent.read_alignment(ROOT / "tests/data/potts3.a2m.xz"),
    }


def test_every_public_type_has_a_short_repr_cut_between_words() -> None:
    public = {
        name
        for name in maxent.__all__
        if isinstance(getattr(maxent, name), type)
        and not issubclass(getattr(maxent, name), (Exception, Warning))
    }
    made = _public_instances()
    assert public == set(made), "a public type without a repr check"
    for name, obj in made.items():
        assert type(obj).__name__ == name
        text = repr(obj)
        assert len(text) < 1000, (name, len(text))
        assert max(len(line) for line in text.splitlines()) <= 110, (name, text)
        for cut in re.finditer(r"\.\.\.", text):  # cut between words, never inside one
            at = cut.start()
            assert text[at - 1] in " (", (name, text[max(0, at - 20) : at + 3])


def test_a_nested_result_is_one_line_of_its_scalars() -> None:
    text = repr(_fe())
    line = next(x for x in text.splitlines() if "levels=" in x)
    assert line.strip().startswith("levels=EnergyLevels(n_levels=505, name='Fe I")
    assert len(line) <= 88
