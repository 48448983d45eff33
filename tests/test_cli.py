"""maxent-sweep: writes a netCDF file and a PNG for built-in models and level files."""

import matplotlib
import numpy as np
import pytest
import xarray as xr

from maxent import cli

matplotlib.use("Agg")

PNG = b"\x89PNG\r\n\x1a\n"


def test_default_run_is_the_4x4_ising_sweep(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MAXENT_CACHE_DIR", str(tmp_path / "cache"))
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    assert "maxent_sweep.nc" in out and "maxent_sweep.png" in out
    ds = xr.load_dataset(tmp_path / "maxent_sweep.nc")
    assert ds.sizes["temperature"] == 200
    assert ds.temperature.values[0] == pytest.approx(0.5)
    assert ds.temperature.values[-1] == pytest.approx(10.0)
    assert ds.degeneracy.sum() == 2**16
    assert ds.attrs["system"].startswith("Ising 4x4")
    assert (tmp_path / "maxent_sweep.png").read_bytes()[:8] == PNG


def test_level_file_and_outputs_elsewhere(tmp_path):
    levels = tmp_path / "lv.csv"
    levels.write_text("# unit: K\nenergy,g\n0,1\n100,3\n")
    nc, png = tmp_path / "o" / "s.nc", tmp_path / "o" / "s.png"
    assert cli.main(["--levels", str(levels), "--tmin", "10", "--tmax", "1000", "--n", "25",
                     "--out", str(nc), "--png", str(png), "--dpi", "50"]) == 0
    ds = xr.load_dataset(nc)
    assert ds.temperature.attrs["units"] == "K"
    x = 100 / ds.temperature.values
    np.testing.assert_allclose(ds.probability.values[:, 1], 3 / (np.exp(x) + 3), rtol=1e-12)
    assert png.read_bytes()[:8] == PNG


@pytest.mark.parametrize("model", ["two-level", "harmonic", "paramagnet", "atom"])
def test_built_in_models(model, tmp_path):
    args = ["--model", model, "--n", "10", "--out", str(tmp_path / "a.nc"),
            "--png", str(tmp_path / "a.png"), "--dpi", "40"]
    assert cli.main(args) == 0
    assert xr.load_dataset(tmp_path / "a.nc").sizes["temperature"] == 10


def test_bad_grid_exits_with_a_message(tmp_path, capsys):
    assert cli.main(["--tmin", "5", "--tmax", "1", "--out", str(tmp_path / "x.nc"),
                     "--png", str(tmp_path / "x.png")]) == 2
    assert "--tmin" in capsys.readouterr().err
