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
    return maxent.temperature_sweep(
        lv, np.concatenate([[0.0], np.geomspace(0.05, 50, 40), [np.inf]])
    )


def test_plot_sweep_draws_four_labelled_panels_and_the_heat_map(sweep):
    fig = maxent.plot_sweep(sweep)
    try:
        labels = [ax.get_ylabel() for ax in fig.axes]
        assert any(lab.startswith("Internal energy") for lab in labels)
        assert any(lab.startswith("Entropy") and "k_B" in lab for lab in labels)
        assert any(lab.startswith("Heat capacity") for lab in labels)
        assert any("free energy" in lab for lab in labels)
        assert any(lab.startswith("Level, in order of energy") for lab in labels)
        # natural units: energies and temperatures still say their unit
        assert any(lab.startswith("Internal energy") and "[energy units]" in lab for lab in labels)
        panels = [ax for ax in fig.axes if ax.get_xlabel().startswith("Temperature")]
        assert len(panels) == 5
        assert all(ax.get_xscale() == "log" for ax in panels)
        curve = panels[0].lines[0]
        assert len(curve.get_xdata()) == 40  # T = 0 and inf left out
        assert "three levels" in fig._suptitle.get_text()
    finally:
        plt.close(fig)


def test_plot_sweep_without_populations_and_with_kelvin(tmp_path):
    ds = maxent.temperature_sweep(maxent.models.atom("Na"), np.linspace(2000, 8000, 30))
    fig = maxent.plot_sweep(ds, populations=False, title="Na I")
    try:
        assert len(fig.axes) == 4
        assert all("[K]" in ax.get_xlabel() for ax in fig.axes)
        assert all(ax.get_xscale() == "linear" for ax in fig.axes)  # less than a decade
        fig.savefig(tmp_path / "na.png", dpi=60)
        assert (tmp_path / "na.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        plt.close(fig)


def test_plot_populations_alone(sweep):
    ax = maxent.plot_populations(sweep)
    try:
        # equal rows are levels by index, labelled as such (not as energies)
        assert ax.get_ylabel() == "Level, in order of energy (index, not to scale)"
        assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "1", "2"]
    finally:
        plt.close(ax.figure)


def test_plotting_rejects_other_datasets():
    import xarray as xr

    with pytest.raises(maxent.InvalidInputError, match=r"`ds` must be a Dataset from"):
        maxent.plot_sweep(xr.Dataset())


def _heat_capacity_axis(fig):
    return next(ax for ax in fig.axes if ax.get_ylabel().startswith("Heat capacity"))


def test_c_max_is_marked_only_for_an_interior_maximum():
    lv = maxent.models.two_level(1.0)
    inside = maxent.plot_sweep(maxent.temperature_sweep(lv, np.geomspace(0.1, 3, 30)))
    edge = maxent.plot_sweep(maxent.temperature_sweep(lv, np.geomspace(0.1, 0.3, 30)))
    try:
        texts = [t.get_text() for t in _heat_capacity_axis(inside).texts]
        assert any("C_{\\max}" in t for t in texts)
        assert len(_heat_capacity_axis(inside).lines) == 2  # curve + marker
        texts = [t.get_text() for t in _heat_capacity_axis(edge).texts]
        assert not any("max}" in t for t in texts)
        assert any("no interior maximum" in t for t in texts)
        assert len(_heat_capacity_axis(edge).lines) == 1
    finally:
        plt.close(inside)
        plt.close(edge)


@pytest.mark.parametrize(
    ("unit", "text"), [("meV", "[meV]"), ("cm-1", "[cm$^{-1}$]"), ("kJ/mol", "[kJ/mol]")]
)
def test_axis_labels_carry_units_in_every_unit_system(unit, text):
    lv = maxent.EnergyLevels([0.0, 1.0, 3.0], unit=unit)
    fig = maxent.plot_sweep(maxent.temperature_sweep(lv, np.geomspace(10, 1000, 20)))
    try:
        labels = [ax.get_ylabel() for ax in fig.axes] + [ax.get_xlabel() for ax in fig.axes]
        assert any(lab.startswith("Internal energy") and text in lab for lab in labels)
        assert any(lab.startswith("Temperature") and "[K]" in lab for lab in labels)
    finally:
        plt.close(fig)


def test_energy_scale_and_math_labels_in_natural_units():
    ds = maxent.temperature_sweep(maxent.models.paramagnet(3), np.geomspace(0.1, 10, 20))
    ds.attrs["energy_scale"] = "μB"
    fig = maxent.plot_sweep(ds)
    try:
        assert any(
            ax.get_xlabel() == r"Temperature $T$ [units of $\mu B$/$k_B$]" for ax in fig.axes
        )
        assert "μB = 1" in fig._suptitle.get_text()
    finally:
        plt.close(fig)


def _heat_map(ax):
    return np.asarray(ax.collections[0].get_array()).reshape(-1)


def test_sweep_without_the_table_plots_the_heat_map_from_its_levels():
    lv = maxent.EnergyLevels([0.0, 1.0, 1.5, 4.0], degeneracy=[1, 3, 2, 5])
    t = np.geomspace(0.1, 10, 20)
    thin = maxent.temperature_sweep(lv, t, probability=False)
    fig = maxent.plot_sweep(thin, populations=False)
    try:
        assert len(fig.axes) == 4
    finally:
        plt.close(fig)
    with_table = maxent.plot_populations(maxent.temperature_sweep(lv, t, probability=True))
    recomputed = maxent.plot_populations(thin)
    try:
        np.testing.assert_allclose(_heat_map(recomputed), _heat_map(with_table), rtol=1e-12)
    finally:
        plt.close(with_table.figure)
        plt.close(recomputed.figure)
    with pytest.raises(maxent.InvalidInputError, match=r"table or its levels; missing \['beta'\]"):
        maxent.plot_sweep(thin.drop_vars("beta"))


def test_a_large_sweep_recomputes_its_heat_map_at_a_few_hundred_temperatures():
    lv = maxent.EnergyLevels(np.linspace(0.0, 5.0, 600))
    ds = maxent.temperature_sweep(lv, np.geomspace(0.1, 10, 3000))
    assert "probability" not in ds and ds.attrs["probability_table"] == 0  # 1.8e6 > 2**20
    ax = maxent.plot_populations(ds)
    try:
        assert _heat_map(ax).size == 512 * 600
    finally:
        plt.close(ax.figure)


def test_plotting_bad_input_is_named():
    ds = maxent.temperature_sweep([0.0, 1.0], [1.0, 2.0])
    with pytest.raises(maxent.InvalidInputError, match=r"`ds` has no finite temperature"):
        maxent.plot_sweep(ds.isel(temperature=slice(0, 0)))
    with pytest.raises(maxent.InvalidInputError, match=r"`floor` must be a number in \(0, 1\)"):
        maxent.plot_populations(ds, floor=0)
    with pytest.raises(maxent.InvalidInputError, match=r"`ds` must be a Dataset"):
        maxent.plot_sweep(42)


def test_a_per_site_dataset_plots_per_site_in_units_of_j_never_as_joules():
    ds = maxent.models.ising_2d_thermo(8, np.linspace(1.0, 4.0, 30))
    fig = maxent.plot_sweep(ds, populations=False)
    try:
        labels = [ax.get_ylabel() for ax in fig.axes] + [ax.get_xlabel() for ax in fig.axes]
        assert "Internal energy per site $U/N$ [units of $J$]" in labels
        assert "Temperature $T$ [units of $J$/$k_B$]" in labels
        assert not any("[$J$]" in lab or "[J]" in lab for lab in labels)
    finally:
        plt.close(fig)
