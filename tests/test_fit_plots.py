"""Tests of maxent.fit_plots: each view draws what it says and saves to PNG."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import maxent  # noqa: E402
from maxent.fit_plots import plot_alpha_scan, plot_data_fit, plot_reconstruction  # noqa: E402


@pytest.fixture(scope="module")
def result():
    rng = np.random.default_rng(0)
    x = np.linspace(0, 5, 60)
    dx = np.full(60, x[1] - x[0])
    t = np.linspace(0, 5, 25)
    truth = np.exp(-((x - 2) ** 2))
    kernel = np.exp(-(np.subtract.outer(t, x) ** 2)) * dx
    sigma = 1e-2 * np.ones(25)
    data = kernel @ truth + sigma * rng.standard_normal(25)
    return maxent.fit(kernel, data, sigma, grid=x, grid_weights=dx, alpha="classic"), truth


def test_reconstruction_draws_solution_band_model_and_truth(result, tmp_path):
    res, truth = result
    ax = plot_reconstruction(res, truth=truth)
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(lines["truth"].get_ydata(), truth)
    np.testing.assert_array_equal(lines["default model"].get_ydata(), res.default_model)
    assert len(ax.collections) == 1  # the error band
    ax.figure.savefig(tmp_path / "rec.png")
    assert (tmp_path / "rec.png").stat().st_size > 0
    plt.close(ax.figure)


def test_data_fit_residuals_are_normalised_by_sigma(result):
    res, _ = result
    top, bottom = plot_data_fit(res)
    resid = bottom.get_lines()[-1].get_ydata()
    np.testing.assert_allclose(resid, (res.data - res.fitted_data) / res.data_error)
    np.testing.assert_array_equal(top.get_lines()[-1].get_ydata(), res.fitted_data)
    plt.close(top.figure)


def test_alpha_scan_marks_the_chosen_alpha(result):
    res, _ = result
    ax = plot_alpha_scan(res)
    vertical = [line for line in ax.get_lines() if line.get_label().startswith("classic")]
    assert vertical and vertical[0].get_xdata()[0] == res.alpha
    assert len(ax.figure.axes) == 2  # the evidence twin axis
    plt.close(ax.figure)


def test_alpha_scan_without_evidence_has_no_twin_axis():
    res = maxent.fit(np.eye(3), [1.0, 2.0, 3.0], [0.1, 0.1, 0.1], penalty="l1", alpha="gcv")
    ax = plot_alpha_scan(res)
    assert len(ax.figure.axes) == 1
    plt.close(ax.figure)


def test_labels_speak_the_callers_language(result):
    res, _ = result
    ax = plot_reconstruction(res, grid_name=r"$\omega$", x_name=r"$A(\omega)$")
    assert ax.get_xlabel() == r"$\omega$" and ax.get_ylabel() == r"$A(\omega)$"
    plt.close(ax.figure)
    top, bottom = plot_data_fit(
        res, coords=np.arange(res.data.size), coord_name=r"$\tau$", data_name=r"$G(\tau)$"
    )
    assert bottom.get_xlabel() == r"$\tau$" and top.get_ylabel() == r"$G(\tau)$"
    assert r"$G(\tau)$" in [t.get_text() for t in top.get_legend().get_texts()]
    plt.close(top.figure)


def test_every_plot_function_takes_its_axes_as_ax(result):
    import inspect

    import maxent
    from maxent import fit_plots, plotting

    functions = [getattr(m, n) for m in (fit_plots, plotting) for n in m.__all__]
    functions += [getattr(maxent, n) for n in maxent.__all__ if n.startswith("plot_")]
    for f in functions:
        if not f.__name__.startswith("plot_"):
            continue
        params = inspect.signature(f).parameters
        assert "axes" not in params, f.__name__
    res, _ = result
    fig, (top, bottom) = plt.subplots(2, 1)
    assert plot_data_fit(res, ax=(top, bottom)) == (top, bottom)
    assert top.lines and bottom.lines
    plt.close(fig)
