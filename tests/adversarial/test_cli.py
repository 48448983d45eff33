"""maxent-sweep on bad arguments: exit status 2, a one-line message naming the option, and
no output file left behind (complete files or none)."""

import pytest

from maxent import cli


def _run(tmp_path, *args):
    nc, png = tmp_path / "o.nc", tmp_path / "o.png"
    rc = cli.main(
        [
            "--model",
            "two-level",
            "--n-temperatures",
            "5",
            "--dpi",
            "30",
            *args,
            "--out",
            str(nc),
            "--png",
            str(png),
        ]
    )
    return rc, nc, png


@pytest.mark.parametrize(
    "args, option",
    [
        (["--n-temperatures", "1"], "--n-temperatures"),
        (["--tmin", "-1"], "--tmin"),
        (["--tmin", "nan"], "--tmin"),
        (["--tmin", "5", "--tmax", "2"], "--tmax"),
        (["--tmax", "inf"], "--tmax"),
        (["--tmin", "1e-320"], "--tmin"),
        (["--dpi", "0"], "--dpi"),
        (["--units", "furlong"], "units"),
        (["--model", "ising2d", "--L", "1"], "side"),
        (["--model", "atom", "--element", "Xx"], "symbol"),
    ],
)
def test_bad_arguments_exit_2_and_write_nothing(tmp_path, capsys, args, option):
    rc, nc, png = _run(tmp_path, *args)
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("maxent-sweep: error:") and option in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "content, what",
    [
        ("energy,g\n0,1\nabc,2\n", "energy"),
        ("energy,g\n0,1\n1\n", "g"),
        ("energy,g\n0,1\n1,-2\n", "g"),
    ],
)
def test_bad_level_files_exit_2(tmp_path, capsys, content, what):
    levels = tmp_path / "lv.csv"
    levels.write_text(content)
    rc = cli.main(
        [
            "--levels",
            str(levels),
            "--n-temperatures",
            "5",
            "--out",
            str(tmp_path / "o.nc"),
            "--png",
            str(tmp_path / "o.png"),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and what in err and "Traceback" not in err
    assert not (tmp_path / "o.nc").exists() and not (tmp_path / "o.png").exists()


def test_missing_level_file_exit_2(tmp_path, capsys):
    rc = cli.main(
        [
            "--levels",
            str(tmp_path / "nope.csv"),
            "--out",
            str(tmp_path / "o.nc"),
            "--png",
            str(tmp_path / "o.png"),
        ]
    )
    assert rc == 2 and "nope.csv" in capsys.readouterr().err


def test_good_run_writes_both_files(tmp_path):
    rc, nc, png = _run(tmp_path)
    assert rc == 0 and nc.stat().st_size > 0 and png.read_bytes()[:4] == b"\x89PNG"


def test_level_file_with_a_division_by_zero_exits_2(tmp_path, capsys):
    # issue 23: `0,1/0` raised ZeroDivisionError
    levels = tmp_path / "lv.csv"
    levels.write_text("energy,g\n0,1\n1/0,2\n")
    rc = cli.main(["--levels", str(levels), "--out", str(tmp_path / "o.nc")])
    err = capsys.readouterr().err
    assert rc == 2 and "'1/0'" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lv.csv"]


@pytest.mark.parametrize(
    "model, gap", [("harmonic", "1e-300"), ("harmonic", "1e300"), ("two-level", "1e300")]
)
def test_extreme_energy_scales_plot_and_write_both_files(tmp_path, model, gap):
    # issue 23: --gap 1e-300 raised matplotlib's ValueError and left the .nc behind; the
    # default range of 1e300 squared the energies (overflow)
    rc, nc, png = _run(tmp_path, "--model", model, "--gap", gap)
    assert rc == 0 and nc.stat().st_size > 0 and png.read_bytes()[:4] == b"\x89PNG"


def _fail(tmp):
    raise OSError(28, "No space left on device", tmp)


@pytest.mark.parametrize("which", ["netcdf", "png"])
def test_a_failed_write_names_the_output_and_replaces_nothing(
    tmp_path, capsys, monkeypatch, which
):
    # issue 23: errors named the hidden temporary file, and a failed PNG left a new .nc
    import matplotlib.figure
    import xarray as xr

    nc, png = tmp_path / "o.nc", tmp_path / "o.png"
    nc.write_text("old nc")
    png.write_text("old png")
    if which == "netcdf":
        monkeypatch.setattr(xr.Dataset, "to_netcdf", lambda self, tmp: _fail(tmp))
    else:
        monkeypatch.setattr(
            matplotlib.figure.Figure, "savefig", lambda self, tmp, **kw: _fail(tmp)
        )
    rc = cli.main(
        ["--model", "two-level", "--n-temperatures", "5", "--out", str(nc), "--png", str(png)]
    )
    err = capsys.readouterr().err
    option, path = ("--out", nc) if which == "netcdf" else ("--png", png)
    assert rc == 2 and f"{option} {path}: cannot write it (No space left on device)" in err
    assert ".o." not in err  # no temporary file named
    assert nc.read_text() == "old nc" and png.read_text() == "old png"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.nc", "o.png"]


def test_replacing_existing_outputs_is_said_for_each(tmp_path, capsys):
    _run(tmp_path)
    capsys.readouterr()
    rc, nc, png = _run(tmp_path)
    out = capsys.readouterr().out
    assert rc == 0 and f"replaced {nc.resolve()}" in out and f"replaced {png.resolve()}" in out
