"""Every reproducer of issue 23 in inputs, units, exact Ising, files and fits: one test each."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

import numpy as np
import pytest

import maxent

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _peer_problems():
    path = ROOT / "benchmarks" / "peer_problems.py"
    spec = importlib.util.spec_from_file_location("peer_problems", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("peer_problems", module)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------- Bryan's prior
def test_bryan_with_ana_conts_prior_reproduces_ana_cont_on_its_own_problem():
    # ana_cont weighs the alpha path by P(y|alpha) alpha d(alpha); "uniform" is P(alpha) = 1
    prob = _peer_problems().ana_cont_two_gaussians()
    table = np.loadtxt(
        ROOT / "tests" / "data" / "ana_cont_bryan_two_gaussians.csv",
        delimiter=",",
        comments="#",
        skiprows=4,
    )
    np.testing.assert_allclose(table[:, 0], prob.grid, atol=1e-12)
    reference = table[:, 1]
    fits = {
        prior: maxent.fit(
            prob.kernel,
            prob.data,
            prob.sigma,
            alpha="bryan",
            alpha_prior=prior,
            **prob.fit_kwargs(),
        )
        for prior in ("jeffreys", "uniform", "ana_cont")
    }
    error = {k: np.max(np.abs(r.x - reference)) / reference.max() for k, r in fits.items()}
    # ana_cont stops its path where the probability falls below 1 % of its peak and
    # integrates by the trapezoid rule on a 1.1 grid: agreement to a few 1e-4
    assert error["ana_cont"] < 5e-4
    assert error["uniform"] > 10 * error["ana_cont"] and error["jeffreys"] > error["uniform"]
    assert fits["jeffreys"].alpha < fits["uniform"].alpha < fits["ana_cont"].alpha
