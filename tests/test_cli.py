"""maxent-sweep: writes a netCDF file and a PNG for built-in models and level files."""

import os
import stat

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
    # default range from the spectrum: 1/8 of the smallest spacing (4 J) to 3 sigma_inf(E)
    assert ds.temperature.values[0] == pytest.approx(0.5)
    assert ds.temperature.values[-1] == pytest.approx(float(f"{3 * np.sqrt(32):.2g}"))
    assert "heat capacity maximum C = " in out
    assert ds.degeneracy.sum() == 2**16
    assert ds.attrs["system"].startswith("Ising 4x4")
    assert (tmp_path / "maxent_sweep.png").read_bytes()[:8] == PNG


def test_level_file_and_outputs_elsewhere(tmp_path):
    levels = tmp_path / "lv.csv"
    levels.write_text("# unit: K\nenergy,g\n0,1\n100,3\n")
    nc, png = tmp_path / "o" / "s.nc", tmp_path / "o" / "s.png"
    assert (
        cli.main(
            [
                "--levels",
                str(levels),
                "--tmin",
                "10",
                "--tmax",
                "1000",
                "--n-temperatures",
                "25",
                "--out",
                str(nc),
                "--png",
                str(png),
                "--dpi",
                "50",
            ]
        )
        == 0
    )
    ds = xr.load_dataset(nc)
    assert ds.temperature.attrs["units"] == "K"
    x = 100 / ds.temperature.values
    np.testing.assert_allclose(ds.probability.values[:, 1], 3 / (np.exp(x) + 3), rtol=1e-12)
    assert png.read_bytes()[:8] == PNG


@pytest.mark.parametrize("model", ["two-level", "harmonic", "paramagnet", "atom"])
def test_built_in_models(model, tmp_path):
    args = [
        "--model",
        model,
        "--n-temperatures",
        "10",
        "--out",
        str(tmp_path / "a.nc"),
        "--png",
        str(tmp_path / "a.png"),
        "--dpi",
        "40",
    ]
    assert cli.main(args) == 0
    assert xr.load_dataset(tmp_path / "a.nc").sizes["temperature"] == 10


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tmin", "5", "--tmax", "1"], "--tmin"),
        (["--tmax", "inf"], "--tmax must be finite and > 0; got inf"),
        (["--tmin", "nan"], "--tmin must be finite"),
        (["--tmin", "-1"], "--tmin must be finite and > 0"),
        (["--n-temperatures", "1"], "--n-temperatures must be >= 2"),
        (["--model", "two-level", "--N", "5"], "--N does not apply to --model two-level"),
        (["--model", "atom", "--gap", "2"], "--gap does not apply to --model atom"),
        (["--L", "3", "--model", "paramagnet"], "--L does not apply"),
        (["--element", "H"], "--element does not apply to --model ising2d"),
        (["--levels", "missing.csv"], "no such file"),
    ],
)
def test_bad_options_exit_with_a_message(tmp_path, capsys, args, message):
    assert (
        cli.main(args + ["--out", str(tmp_path / "x.nc"), "--png", str(tmp_path / "x.png")]) == 2
    )
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.nc").exists()


@pytest.mark.parametrize(
    ("out", "png", "message"),
    [
        ("same.png", "same.png", "--out writes netCDF and must end in .nc"),
        ("a.nc", "a.nc", "--png writes a PNG and must end in .png"),
        ("a.nc", "a.pdf", "must end in .png"),
        ("a.png.nc", "a.png.nc", "must end in .png"),
    ],
)
def test_output_names_are_honest(tmp_path, capsys, out, png, message):
    assert (
        cli.main(
            ["--model", "two-level", "--out", str(tmp_path / out), "--png", str(tmp_path / png)]
        )
        == 2
    )
    assert message in capsys.readouterr().err


def test_version(capsys):
    import maxent

    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0
    assert maxent.__version__ in capsys.readouterr().out


def test_existing_files_are_replaced_atomically_and_said(tmp_path, capsys):
    nc, png = tmp_path / "s.nc", tmp_path / "s.png"
    nc.write_text("old")
    args = [
        "--model",
        "two-level",
        "--n-temperatures",
        "5",
        "--out",
        str(nc),
        "--png",
        str(png),
        "--dpi",
        "30",
    ]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert f"replaced {nc.resolve()}" in out and f"wrote {png.resolve()}" in out
    assert xr.load_dataset(nc).sizes["temperature"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.nc", "s.png"]  # no temp left


def test_ev_level_file_shows_its_excitation_with_no_options(tmp_path, capsys):
    levels = tmp_path / "ev.csv"
    levels.write_text("# unit: eV\nenergy,g\n0,1\n0.05,1\n2.1,1\n")
    assert (
        cli.main(
            [
                "--levels",
                str(levels),
                "--n-temperatures",
                "120",
                "--out",
                str(tmp_path / "a.nc"),
                "--png",
                str(tmp_path / "a.png"),
                "--dpi",
                "30",
            ]
        )
        == 0
    )
    ds = xr.load_dataset(tmp_path / "a.nc")
    assert ds.temperature.attrs["units"] == "K"
    c = ds.heat_capacity.values
    t = ds.temperature.values
    # the 2.1 eV excitation: a Schottky-like peak near 0.42 * 2.05 eV / k_B ~ 1e4 K, inside
    high = t > 3000
    i = np.argmax(c[high])
    assert 0 < i < high.sum() - 1
    assert 5e3 < t[high][i] < 2e4
    assert "heat capacity maximum C = 0.4392 k_B" in capsys.readouterr().out


def test_edge_maximum_is_reported_as_such(tmp_path, capsys):
    assert (
        cli.main(
            [
                "--model",
                "harmonic",
                "--n-temperatures",
                "20",
                "--out",
                str(tmp_path / "a.nc"),
                "--png",
                str(tmp_path / "a.png"),
                "--dpi",
                "30",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "no interior maximum" in out and "heat capacity maximum" not in out


def test_large_einstein_solid_runs_without_the_table(tmp_path, capsys):
    assert (
        cli.main(
            [
                "--model",
                "einstein",
                "--N",
                "20000",
                "--n-temperatures",
                "100",
                "--out",
                str(tmp_path / "a.nc"),
                "--png",
                str(tmp_path / "a.png"),
                "--dpi",
                "30",
            ]
        )
        == 0
    )
    assert "population map left out" in capsys.readouterr().out
    ds = xr.load_dataset(tmp_path / "a.nc")
    assert "probability" not in ds and ds.attrs["probability_table"] == 0
    x = 1.0 / ds.temperature.values
    np.testing.assert_allclose(
        ds.heat_capacity.values / 20000, x**2 * np.exp(x) / np.expm1(x) ** 2, rtol=1e-8
    )


def test_default_range_is_in_the_users_units(tmp_path):
    from scipy import constants

    k_mev = constants.k / constants.e * 1e3  # k_B in meV / K
    for model in ("harmonic", "two-level"):
        assert (
            cli.main(
                [
                    "--model",
                    model,
                    "--gap",
                    "10",
                    "--units",
                    "meV",
                    "--n-temperatures",
                    "20",
                    "--out",
                    str(tmp_path / "a.nc"),
                    "--png",
                    str(tmp_path / "a.png"),
                    "--dpi",
                    "30",
                ]
            )
            == 0
        )
        ds = xr.load_dataset(tmp_path / "a.nc")
        assert ds.temperature.attrs["units"] == "K"
        assert ds.temperature.values[0] == pytest.approx(float(f"{10 / 8 / k_mev:.2g}"))


def test_outputs_get_the_usual_file_mode(tmp_path):
    # written through a private temporary file, the outputs still get the mode open() gives
    mask = os.umask(0o022)
    try:
        nc, png = tmp_path / "a.nc", tmp_path / "a.png"
        rc = cli.main(
            ["--model", "two-level", "--n-temperatures", "5", "--out", str(nc), "--png", str(png)]
        )
    finally:
        os.umask(mask)
    assert rc == 0
    assert stat.S_IMODE(nc.stat().st_mode) == 0o644
    assert stat.S_IMODE(png.stat().st_mode) == 0o644


def test_options_cannot_be_confused_and_say_what_they_mean(capsys):
    # issue 24: --n (temperatures) beside --N (spins); --tmin's help said "see above"
    with pytest.raises(SystemExit):
        cli.main(["--n", "5"])  # no abbreviation of --n-temperatures either
    assert "unrecognized arguments: --n" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "see above" not in text
    assert "--tmin TMIN lowest temperature; default: an eighth of the smallest level" in text
    assert "--n-temperatures COUNT number of temperatures" in text
    assert "totals for the whole system" in text
