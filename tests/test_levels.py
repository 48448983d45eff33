"""EnergyLevels: validation, and the CSV/JSON level tables."""

import json

import numpy as np
import pytest

import maxent
from maxent.levels import as_levels


def test_defaults_are_nondegenerate_with_index_labels():
    lv = maxent.EnergyLevels([0.0, 2.0, 1.0])
    np.testing.assert_array_equal(lv.degeneracy, [1.0, 1.0, 1.0])
    assert lv.labels == ("0", "1", "2")
    assert (lv.n_levels, lv.n_states, lv.ground_energy, lv.top_energy) == (3, 3.0, 0.0, 2.0)
    assert lv.unit == "1"


def test_levels_are_immutable_copies():
    e = np.array([0.0, 1.0])
    lv = maxent.EnergyLevels(e)
    e[0] = 5.0
    assert lv.energies[0] == 0.0
    with pytest.raises(ValueError):
        lv.energies[0] = 3.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"energies": [0.0, np.nan]}, r"`energies` must be finite; got nan at index 1"),
        ({"energies": [0.0, np.inf]}, r"`energies` must be finite"),
        ({"energies": [[0.0, 1.0]]}, r"`energies` must be 1-D"),
        ({"energies": []}, r"`energies` must hold at least one level"),
        (
            {"energies": [0.0, 1.0], "degeneracy": [1.0, 0.0]},
            r"`degeneracy` must be > 0; got 0.0 at index 1",
        ),
        ({"energies": [0.0, 1.0], "degeneracy": [1.0, -2.0]}, r"`degeneracy` must be > 0"),
        (
            {"energies": [0.0, 1.0], "degeneracy": [1.0]},
            r"`degeneracy` has 1 entries but `energies` has 2",
        ),
        ({"energies": [0.0, 1.0], "labels": ["a"]}, r"`labels` has 1 entries"),
        ({"energies": [0.0], "labels": "a"}, r"`labels` must be a sequence of str"),
        ({"energies": ["a", "b"]}, r"`energies` must be an array of real numbers"),
    ],
)
def test_invalid_levels_are_rejected_naming_the_argument(kwargs, match):
    with pytest.raises(maxent.InvalidInputError, match=match):
        maxent.EnergyLevels(**kwargs)


def test_plain_arrays_become_levels_and_bad_ones_name_levels():
    assert as_levels([1.0, 2.0]).n_levels == 2
    with pytest.raises(maxent.InvalidInputError, match=r"`levels` must be EnergyLevels"):
        as_levels([1.0, np.nan])


def test_csv_with_g_column_and_metadata(tmp_path):
    path = tmp_path / "three.csv"
    path.write_text("# unit: eV\n# name: toy\nenergy,g,label\n0.0,2,a\n0.5,1,b\n1.5,4,c\n")
    lv = maxent.EnergyLevels.from_csv(path)
    np.testing.assert_array_equal(lv.energies, [0.0, 0.5, 1.5])
    np.testing.assert_array_equal(lv.degeneracy, [2.0, 1.0, 4.0])
    assert lv.labels == ("a", "b", "c")
    assert (lv.unit, lv.name) == ("eV", "toy")


def test_csv_with_j_column_gives_2j_plus_1(tmp_path):
    path = tmp_path / "j.csv"
    path.write_text("energy,J\n0,1/2\n10,3/2\n20,2\n")
    lv = maxent.EnergyLevels.from_csv(path, unit="cm-1")
    np.testing.assert_array_equal(lv.degeneracy, [2.0, 4.0, 5.0])
    assert lv.unit == "cm-1"


def test_csv_errors_name_the_problem(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("E_level,g\n0,1\n")
    with pytest.raises(maxent.InvalidInputError, match=r"needs an 'energy' column"):
        maxent.EnergyLevels.from_csv(path)
    path.write_text("energy,g\n0,1\nabc,1\n")
    with pytest.raises(maxent.InvalidInputError, match=r"energy in level 1 must be a number"):
        maxent.EnergyLevels.from_csv(path)
    path.write_text("energy,g\n0,1\n1,0\n")
    with pytest.raises(maxent.InvalidInputError, match=r"`degeneracy` must be > 0"):
        maxent.EnergyLevels.from_csv(path)


def test_json_object_and_records_agree(tmp_path):
    obj = tmp_path / "obj.json"
    obj.write_text(
        json.dumps(
            {
                "energies": [0, 1, 3],
                "degeneracy": [1, 3, 5],
                "labels": ["s", "p", "d"],
                "unit": "K",
                "name": "toy",
            }
        )
    )
    rec = tmp_path / "rec.json"
    rec.write_text(
        json.dumps(
            [
                {"energy": 0, "J": 0, "label": "s"},
                {"energy": 1, "J": 1, "label": "p"},
                {"energy": 3, "J": 2, "label": "d"},
            ]
        )
    )
    a = maxent.EnergyLevels.from_json(obj)
    b = maxent.EnergyLevels.from_json(rec, unit="K")
    np.testing.assert_array_equal(a.energies, b.energies)
    np.testing.assert_array_equal(a.degeneracy, b.degeneracy)
    assert a.labels == b.labels == ("s", "p", "d")
    assert a.unit == b.unit == "K"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"levels": [1, 2]}))
    with pytest.raises(maxent.InvalidInputError, match=r"needs an 'energies' entry"):
        maxent.EnergyLevels.from_json(bad)


# ---------------------------------------------------------------- log-space degeneracies
def test_log_degeneracy_beyond_the_float_range():
    lv = maxent.EnergyLevels([0.0, 1.0, 2.0], log_degeneracy=[0.0, 800.0, np.log(3.0)])
    np.testing.assert_array_equal(lv.log_degeneracy, [0.0, 800.0, np.log(3.0)])
    assert lv.degeneracy[1] == np.inf and lv.degeneracy[0] == 1.0
    assert lv.log_n_states == pytest.approx(800.0, rel=1e-15)
    assert lv.n_states == np.inf
    with pytest.raises(ValueError):
        lv.log_degeneracy[0] = 1.0  # read-only


def test_degeneracy_and_log_degeneracy_agree_where_finite():
    a = maxent.EnergyLevels([0.0, 1.0], degeneracy=[2, 6])
    b = maxent.EnergyLevels([0.0, 1.0], log_degeneracy=np.log([2, 6]))
    np.testing.assert_allclose(a.log_degeneracy, b.log_degeneracy, rtol=1e-15)
    np.testing.assert_allclose(a.degeneracy, b.degeneracy, rtol=1e-15)
    assert a.n_states == 8.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"degeneracy": [1, 2], "log_degeneracy": [0, 1]}, r"give `degeneracy` or `log_degen"),
        ({"log_degeneracy": [0.0, np.inf]}, r"`log_degeneracy` must be finite; got inf"),
        ({"log_degeneracy": [0.0]}, r"`log_degeneracy` has 1 entries but `energies` has 2"),
    ],
)
def test_bad_log_degeneracy_is_named(kwargs, match):
    with pytest.raises(maxent.InvalidInputError, match=match):
        maxent.EnergyLevels([0.0, 1.0], **kwargs)


def test_energies_spanning_more_than_the_float_range_are_refused():
    with pytest.raises(maxent.InvalidInputError, match=r"`energies` must span less than"):
        maxent.EnergyLevels([-1e308, 1e308])


def test_json_name_is_the_system_name_not_the_labels(tmp_path):
    path = tmp_path / "named.json"
    path.write_text(json.dumps({"energies": [0, 1], "name": "toy system"}))
    lv = maxent.EnergyLevels.from_json(path)
    assert lv.name == "toy system"
    assert lv.labels == ("0", "1")


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("a.json", b'{"energies": [0, 1', r"`path` .* is not valid JSON"),
        ("b.csv", b"\xff\xfe\x00", r"`path` .* is not UTF-8 text"),
        ("c.json", b'{"energies": [0, 1], "labels": 5}', r"`labels` must be a sequence"),
        ("d.json", b'{"energies": [0, 1], "unit": "furlong"}', r"`unit` = 'furlong' is not"),
        ("e.csv", b"energy,g\n0,1\n1\n", r"g in level 1 must be a number"),
    ],
)
def test_bad_level_files_raise_named_errors(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    loader = (
        maxent.EnergyLevels.from_json if name.endswith("json") else maxent.EnergyLevels.from_csv
    )
    with pytest.raises(maxent.InvalidInputError, match=match):
        loader(path)


def test_missing_level_file_is_named(tmp_path):
    with pytest.raises(maxent.InvalidInputError, match=r"`path` .* is not a file"):
        maxent.EnergyLevels.from_csv(tmp_path / "nope.csv")
    with pytest.raises(maxent.InvalidInputError, match=r"`path` .* is not a file"):
        maxent.EnergyLevels.from_json(tmp_path)


def test_state_count_beyond_the_float_range_is_inf_not_the_largest_float():
    # 2^1024 states: one past the float range, whatever the rounding of the finite g sum
    lv = maxent.models.ising_2d(32)
    assert lv.log_n_states == pytest.approx(1024 * np.log(2.0), rel=1e-14)
    assert lv.n_states == np.inf
    assert maxent.models.ising_2d(31).n_states == pytest.approx(2.0**961, rel=1e-13)


def test_a_declared_unit_is_converted_never_relabelled(tmp_path):
    # k_B = 1.380649e-23 J/K and e = 1.602176634e-19 C, both exact in SI 2019
    k_b_ev = 1.380649e-23 / 1.602176634e-19
    path = tmp_path / "mev.csv"
    path.write_text("# unit: meV\nenergy,g\n0,1\n1.5,3\n")
    kelvin = maxent.EnergyLevels.from_csv(path, unit="K")
    assert kelvin.unit == "K"
    np.testing.assert_allclose(kelvin.energies, [0.0, 1.5e-3 / k_b_ev], rtol=1e-12)
    np.testing.assert_array_equal(kelvin.degeneracy, [1.0, 3.0])
    same = maxent.EnergyLevels.from_csv(path, unit="meV")
    np.testing.assert_array_equal(same.energies, [0.0, 1.5])
    obj = tmp_path / "mev.json"
    obj.write_text(json.dumps({"energies": [0, 1.5], "degeneracy": [1, 3], "unit": "meV"}))
    np.testing.assert_allclose(
        maxent.EnergyLevels.from_json(obj, unit="K").energies, kelvin.energies, rtol=1e-15
    )
    # a file without a unit line: `unit` says what its numbers are in
    bare = tmp_path / "bare.csv"
    bare.write_text("energy\n0\n1.5\n")
    assert maxent.EnergyLevels.from_csv(bare, unit="meV").unit == "meV"
    # dimensionless on one side: refused, never guessed
    with pytest.raises(maxent.InvalidInputError, match=r"`unit` '1' cannot be converted"):
        maxent.EnergyLevels.from_csv(path, unit="1")
    plain = tmp_path / "plain.csv"
    plain.write_text("# unit: 1\nenergy\n0\n2\n")
    with pytest.raises(maxent.InvalidInputError, match=r"\(dimensionless\)"):
        maxent.EnergyLevels.from_csv(plain, unit="meV")
