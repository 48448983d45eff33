"""Hypothesis over the campaign's surfaces beyond solve(): quantities at every entry point,
exact Ising at extreme sides and signed zeros, and the files of maxent-sweep.

Each example is one random case of ``surfaces.py`` (seeded by hypothesis), judged against
pint's own conversions, enumeration or Onsager, or the files left behind; every outcome
but OK (or an honest ConvergenceWarning) fails.  The samplers, features and pairwise
hooks are run by ``benchmarks/adversarial_campaign.py --surfaces ...`` only.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from . import oracle, surfaces

GOOD = (oracle.OK, oracle.GAVE_UP)


@pytest.mark.parametrize("surface", ["units", "ising"])
@given(seed=st.integers(0, 2**32 - 1))
def test_surface_cases_meet_their_contract(surface, seed):
    case = surfaces.SURFACES[surface](np.random.default_rng(seed))
    verdict = case.run()
    assert verdict.outcome in GOOD, f"{case.label}: {verdict.outcome}: {verdict.detail}"


@settings(max_examples=6)
@given(seed=st.integers(0, 2**32 - 1))
def test_cli_cases_write_both_files_or_none(tmp_path_factory, seed):
    case = surfaces.SURFACES["cli"](np.random.default_rng(seed), tmp_path_factory.mktemp("cli"))
    verdict = case.run()
    assert verdict.outcome in GOOD, f"{case.label}: {verdict.outcome}: {verdict.detail}"
