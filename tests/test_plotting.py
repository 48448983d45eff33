"""plot_sweep / plot_populations: the figure has the panels, labels and units it should."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import maxent  # noqa: E402


@pytest.fixture
def sweep():
    lv = maxent.EnergyLevels([0.0, 1.0, 2.0], degeneracy=[1, 3, 1], name="three levels")
    return maxent.temperature_sweep(lv, np.concatenate([[0.0], np.geomspace(0.05, 50, 40),
                                                        [np.inf]]))


def test_plot_sweep_draws_four_labelled_panels_and_the_heat_map(sweep):
    fig = maxent.plot_sweep(sweep)
    try:
        labels = [ax.get_ylabel() for ax in fig.axes]
        assert any(lab.startswith("Internal energy") for lab in labels)
        assert any(lab.startswith("Entropy") and "k_B" in lab for lab in labels)
        assert any(lab.startswith("Heat capacity") for lab in labels)
        assert any("free energy" in lab for lab in labels)
        assert any(lab.startswith("Level energy") for lab in labels)
        panels = [ax for ax in fig.axes if ax.get_xlabel().startswith("Temperature")]
        assert len(panels) == 5
        assert all(ax.get_xscale() == "log" for ax in panels)
        curve = panels[0].lines[0]
        assert len(curve.get_xdata()) == 40                    # T = 0 and inf left out
        assert "three levels" in fig._suptitle.get_text()
    finally:
        plt.close(fig)


def test_plot_sweep_without_populations_and_with_kelvin(tmp_path):
    ds = maxent.temperature_sweep(maxent.models.atom("Na"), np.linspace(2000, 8000, 30))
    fig = maxent.plot_sweep(ds, populations=False, title="Na I")
    try:
        assert len(fig.axes) == 4
        assert all("[K]" in ax.get_xlabel() for ax in fig.axes)
        assert all(ax.get_xscale() == "linear" for ax in fig.axes)   # less than a decade
        fig.savefig(tmp_path / "na.png", dpi=60)
        assert (tmp_path / "na.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        plt.close(fig)


def test_plot_populations_alone(sweep):
    ax = maxent.plot_populations(sweep)
    try:
        assert ax.get_ylabel().startswith("Level energy")
        assert len(ax.get_yticks()) == 3
    finally:
        plt.close(ax.figure)


def test_plotting_rejects_other_datasets():
    import xarray as xr

    with pytest.raises(maxent.InvalidInputError, match=r"`ds` must be a Dataset from"):
        maxent.plot_sweep(xr.Dataset())
