"""Bad input and infeasible targets: the exception type and a message that names the problem."""

from fractions import Fraction

import numpy as np
import pytest

import maxent
from maxent import InfeasibleTargetsError, InvalidInputError, MaxEntError

DIE = np.arange(1.0, 7.0)


def test_error_hierarchy():
    assert issubclass(InvalidInputError, MaxEntError) and issubclass(InvalidInputError, ValueError)
    assert issubclass(InfeasibleTargetsError, MaxEntError)
    assert issubclass(InfeasibleTargetsError, ValueError)
    assert issubclass(maxent.ConvergenceWarning, UserWarning)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (
            {"features": [[0.0], [np.nan]], "targets": [0.5]},
            r"`features` must be finite; got nan at index 1, 0",
        ),
        ({"features": [[0.0], [np.inf]], "targets": [0.5]}, r"`features` must be finite; got inf"),
        (
            {"features": {"e": [0.0, np.nan]}, "targets": {"e": 0.5}},
            r"`features\['e'\]` must be finite",
        ),
        (
            {"features": [[0.0], [1.0]], "targets": [np.nan]},
            r"`targets\[0\]` must be finite; got nan",
        ),
        (
            {"features": [[0.0], [1.0]], "targets": [np.inf]},
            r"`targets\[0\]` must be finite; got inf",
        ),
        (
            {"features": [[0.0], [1.0]], "targets": [0.5, 0.5]},
            r"`targets` has 2 entries but `features` has 1 columns",
        ),
        (
            {"features": [[0.0], [1.0]], "targets": [0.5], "prior": [1.0, -0.5]},
            r"`prior` must be >= 0; got -0.5 at index 1",
        ),
        (
            {"features": [[0.0], [1.0]], "targets": [0.5], "prior": [1.0, np.nan]},
            r"`prior` must be finite; got nan at index 1",
        ),
        (
            {"features": [[0.0], [1.0]], "targets": [0.5], "prior": [0.0, 0.0]},
            r"`prior` is zero everywhere: the support is empty",
        ),
        (
            {"features": [[0.0], [1.0]], "targets": [0.5], "prior": [1.0, 1.0, 1.0]},
            r"`prior` has 3 entries but `features` has 2 rows",
        ),
        ({"features": np.zeros((0, 2)), "targets": [0.0, 0.0]}, r"`features` has no rows"),
        (
            {"features": np.zeros((2, 2, 2)), "targets": [0.0, 0.0]},
            r"`features` must be 1-D or 2-D; got an array of shape \(2, 2, 2\)",
        ),
        (
            {"features": [["a"], ["b"]], "targets": [0.0]},
            r"`features` must be an array of real numbers",
        ),
        (
            {"features": {"e": [0.0, 1.0], "n": [1.0]}, "targets": {"e": 0.5, "n": 1.0}},
            r"`features\['n'\]` has 1 entries but `features\['e'\]` has 2",
        ),
        (
            {"features": {"e": [0.0, 1.0]}, "targets": {"E": 0.5}},
            r"same names as `features` \['e'\]; missing \['e'\] and unknown \['E'\]",
        ),
        (
            {"features": [[0.0], [1.0]], "targets": {"f0": 0.5}},
            r"`targets` is a mapping but `features` is an array",
        ),
        ({"features": [[0.0], [1.0]]}, r"give `targets`, or bounds `lower`/`upper`"),
        (
            {"features": [[0.0], [1.0]], "targets": [0.5], "upper": [1.0]},
            r"either `targets` .* or `lower`/`upper`",
        ),
        (
            {"features": [[0.0], [1.0]], "lower": [0.7], "upper": [0.2]},
            r"`lower\[0\]` = 0.7 and `upper\[0\]` = 0.2 leave no room",
        ),
        ({"features": [[0.0], [1.0]], "lower": [np.nan]}, r"`lower\[0\]` must not be NaN"),
        (
            {"features": [[0.0], [1.0]], "targets": [0.5], "sigma": [-1.0]},
            r"`sigma\[0\]` must be >= 0; got -1.0",
        ),
        (
            {"features": [[0.0], [1.0]], "targets": [0.5], "tol": 0.0},
            r"`tol` must be a positive number; got 0.0",
        ),
        (
            {"features": [[0.0], [1.0]], "targets": [0.5], "max_iter": -1},
            r"`max_iter` must be a non-negative integer",
        ),
        (
            {"features": [[0.0], [1.0]], "targets": [0.5], "chunk_size": 0},
            r"`chunk_size` must be a positive integer",
        ),
        (
            {"features": [[0.0], [1.0]], "targets": [0.5], "initial_multipliers": [np.inf]},
            r"`initial_multipliers\[0\]` must be finite",
        ),
    ],
)
def test_bad_input_raises_invalid_input_naming_the_argument(kwargs, pattern):
    with pytest.raises(InvalidInputError, match=pattern):
        maxent.solve(**kwargs)


def test_target_outside_feature_range_names_the_constraint_and_range():
    with pytest.raises(
        InfeasibleTargetsError,
        match=r"`targets\[0\]` = 7 is outside \[1, 6\], the range of `features\[:, 0\]`",
    ):
        maxent.solve(DIE, [7.0])
    with pytest.raises(InfeasibleTargetsError, match=r"`targets\['spin'\]` = -2 .*\('spin'\)"):
        maxent.solve({"energy": DIE, "spin": np.ones(6)}, {"energy": 3.0, "spin": -2.0})


def test_inconsistent_dependent_constraints_are_named():
    x = np.linspace(0, 1, 11)
    with pytest.raises(
        InfeasibleTargetsError,
        match=r"constraints \['a', 'b'\] are linearly dependent .* inconsistent",
    ):
        maxent.solve({"a": x, "b": 2 * x + 1}, {"a": 0.5, "b": 2.5})


def test_targets_outside_the_hull_but_inside_each_range_are_infeasible():
    # Jensen: E[x^2] >= E[x]^2, so (0.5, 0.1) is outside the hull of {(x, x^2)}.
    x = np.linspace(0, 1, 101)
    with pytest.raises(
        InfeasibleTargetsError, match=r"outside the convex hull .* constraints \['m1', 'm2'\]"
    ):
        maxent.solve({"m1": x, "m2": x**2}, {"m1": 0.5, "m2": 0.1})


def test_infeasible_target_on_a_large_problem_is_decided_quickly():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 200_000)
    with pytest.raises(InfeasibleTargetsError, match="convex hull"):
        maxent.solve(np.column_stack([x, x**2, x**3]), [0.3, 0.05, 0.0])


def test_constant_feature_with_wrong_target_is_infeasible():
    with pytest.raises(InfeasibleTargetsError, match=r"outside \[2, 2\]"):
        maxent.solve(np.column_stack([DIE, np.full(6, 2.0)]), [3.0, 2.5])


@pytest.mark.parametrize(
    "value, kind", [(10**400, "an integer"), (Fraction(10**400, 3), "a number")]
)
def test_numbers_beyond_the_float_range_are_invalid_input(value, kind):
    # a huge Fraction used to raise TypeError from operator.index (found by mypy)
    with pytest.raises(InvalidInputError, match=rf"`tol`.*float range.*got {kind} of about 2\*\*"):
        maxent.solve([[0.0], [1.0]], [0.5], tol=value)
