"""solve() on random problems: right answer within tolerance, or a justified maxent error.

Each example is a problem from :mod:`oracle` (features from subnormal to 1e307, offsets,
near-collinear columns, priors spanning 1e-300..1, targets 1e-15..1e-1 inside or outside
the hull next to a vertex or a face) judged against an independent dual solver.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from . import oracle

KINDS = ("plain", "tiny", "huge", "offset", "collinear", "prior", "zeros", "face")

# Where the target sits: a convex combination (t > 0), on the vertex or face (t = 0), or
# outside along the outward direction (t < 0), at distances 1e-15..1e-1.
POSITIONS = st.one_of(
    st.just(0.0),
    st.just(1.0),
    st.floats(-15, -1).map(lambda e: 10.0**e),
    st.floats(-15, -1).map(lambda e: -(10.0**e)),
)
SEEDS = st.integers(0, 2**32 - 1)


def check(problem):
    outcome = oracle.run_solve(problem)
    verdict = oracle.judge(problem, outcome)
    assert verdict.outcome == oracle.OK, (
        f"{verdict.outcome}: {verdict.detail}\nkind={problem.kind} t={problem.t!r} "
        f"scale={problem.scale!r}\nF={problem.features.tolist()}\nb={problem.targets.tolist()}"
        f"\nprior={None if problem.prior is None else problem.prior.tolist()}"
    )


@pytest.mark.parametrize("kind", KINDS)
@given(seed=SEEDS, t=POSITIONS)
def test_random_problems_meet_the_contract(kind, seed, t):
    check(oracle.random_problem(np.random.default_rng(seed), kind, t=t))


@given(seed=SEEDS, t=POSITIONS, exponent=st.integers(-1040, 1015))
def test_every_binary_magnitude(seed, t, exponent):
    """Features scaled by any power of two from subnormal (2^-1040) to 2^1015."""
    check(oracle.random_problem(np.random.default_rng(seed), "plain", t=t, exponent=exponent))


def test_the_oracle_sees_a_wrong_answer():
    """The judge is not vacuous: the prior as an answer to an off-centre target fails it."""
    pb = oracle.random_problem(np.random.default_rng(1), "plain", t=0.05)

    class Fake:
        converged = True
        p = np.full(pb.features.shape[0], 1.0 / pb.features.shape[0])
        moments = p @ pb.features
        message = ""

    assert oracle.judge(pb, Fake()).outcome == oracle.SILENT_WRONG
