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
            "--n",
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
        (["--n", "1"], "--n"),
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
            "--n",
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
