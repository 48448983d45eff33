r"""
20. Units and level files
=========================

Energies measured in a laboratory come in meV, :math:`\mathrm{cm^{-1}}`, kelvin or
kJ/mol.  maxent never strips or guesses a unit: a table of levels carries its unit,
temperatures are then in kelvin with :math:`k_B` from :mod:`scipy.constants`, and
anything that is not an energy is refused with an error that says so.  This page reads
a level table from a CSV file in meV, expresses it in kelvin, passes pint Quantities in
and gets them out, and writes a sweep to netCDF and back with its units.

The example is an illustrative crystal-field scheme of a rare-earth ion (made-up
numbers): a ground doublet and excited levels a few meV up, which give a Schottky
anomaly in the heat capacity at a few kelvin.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pint
import pint_xarray  # noqa: F401  (registers the .pint accessor of xarray)
import xarray as xr

import maxent

ureg = pint.get_application_registry()  # the registry pint-xarray uses too

# %%
# A level file
# ------------
# A CSV file has a header row (``energy``, then optionally ``g`` or ``degeneracy``, ``J``
# for :math:`g = 2J + 1`, and ``label``); comment lines ``# unit: ...`` and
# ``# name: ...`` give the energy unit and the system's name.

folder = Path(tempfile.mkdtemp())  # where this page writes its files
(folder / "crystal_field.csv").write_text(
    "# name: rare-earth ion in a crystal field (illustrative)\n"
    "# unit: meV\n"
    "energy,g,label\n"
    "0.0,2,ground doublet\n"
    "1.8,2,first doublet\n"
    "4.6,1,singlet\n"
    "9.5,2,upper doublet\n"
)
levels = maxent.EnergyLevels.from_csv(folder / "crystal_field.csv")
levels

# %%
# The same levels in kelvin
# -------------------------
# An energy is often quoted as a temperature, :math:`E/k_B`.  Converting is a matter of
# giving the levels as a Quantity and asking for the other unit; the numbers of the file
# are not relabelled but converted (1 meV = 11.6 K):

in_kelvin = maxent.EnergyLevels(
    ureg.Quantity(levels.energies, levels.unit),
    degeneracy=levels.degeneracy,
    labels=levels.labels,
    unit="K",
    name=levels.name,
)
print("energies / k_B:", in_kelvin.energies.round(2), in_kelvin.unit)

# %%
# Both tables give the same physics.  Temperatures are in kelvin for either; a
# Quantity of temperatures (here in millikelvin) is converted on the way in.  The
# internal energy comes out in each table's own unit:

T = np.geomspace(0.5, 300.0, 200)  # K
sweep = maxent.temperature_sweep(levels, T)
sweep_K = maxent.temperature_sweep(in_kelvin, ureg.Quantity(T * 1e3, "mK"))
print("temperature unit:", sweep.temperature.attrs["units"], sweep_K.temperature.attrs["units"])
print("energy unit:", sweep.internal_energy.attrs["units"], sweep_K.internal_energy.attrs["units"])
k_B = sweep.attrs["boltzmann_constant"]  # meV / K
print(f"k_B = {k_B:.6g} {sweep.attrs['boltzmann_constant_units']}")
print(
    "U [meV] = k_B U [K]:",
    np.allclose(sweep.internal_energy, k_B * sweep_K.internal_energy.values, rtol=1e-12),
    "| same C:",
    np.allclose(sweep.heat_capacity, sweep_K.heat_capacity.values, rtol=1e-12),
)

# %%
# Anything that is not an energy (nor a temperature, wavenumber, frequency or molar
# energy, each convertible to one) is refused at once:

try:
    maxent.EnergyLevels(ureg.Quantity([0.0, 2.0], "nm"))
except maxent.InvalidInputError as err:
    print(err)

# %%
# Quantities out
# --------------
# A single temperature gives a :class:`~maxent.CanonicalResult`, which holds numbers;
# ``to_pint()`` gives its fields as Quantities, here turned into molar values (one
# mole of ions) with pint's Avogadro constant:

state = maxent.canonical(levels, temperature=ureg.Quantity(10.0, "K")).to_pint()
U, C = state["internal_energy"], state["heat_capacity"]
print(f"U = {U:.4g~P} = {(U * ureg.N_A).to('J/mol'):.4g~P}")
print(f"C = {C.magnitude:.4g} k_B = {(C * ureg.N_A).to('J/(mol*K)'):.4g~P}")

# %%
# A netCDF round trip with units
# ------------------------------
# Every variable of a sweep carries ``units`` (``"k_B"`` for entropy and heat capacity,
# ``"1"`` for probabilities) and the file keeps them; pint-xarray's ``quantify()`` turns
# the attributes back into units, so the molar heat capacity and the entropy per mole are
# one conversion away:

sweep.to_netcdf(folder / "crystal_field_sweep.nc")
with xr.open_dataset(folder / "crystal_field_sweep.nc") as back:
    print("identical after the round trip:", back.identical(sweep))
    q = back.pint.quantify()
molar_C = (q.heat_capacity * ureg.N_A).pint.to("J/(mol*K)")
molar_S = (q.entropy * ureg.N_A).pint.to("J/(mol*K)")
print("units:", q.heat_capacity.pint.units, "->", molar_C.pint.units)
i = int(molar_C.argmax("temperature"))
print(f"Schottky peak: {float(molar_C[i].pint.magnitude):.2f} J/(mol K) at {T[i]:.2f} K")
R = ureg.Quantity(1.0, "N_A * k_B").to("J/(mol*K)").magnitude  # gas constant
print(
    f"entropy at {T[-1]:g} K: {float(molar_S[-1].pint.magnitude):.3f} J/(mol K); "
    f"R ln 7 = {R * np.log(levels.n_states):.3f} (7 states)"
)

fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
axes[0].semilogx(T, molar_C.pint.magnitude)
axes[0].set_xlabel(f"temperature $T$ [{sweep.temperature.attrs['units']}]")
axes[0].set_ylabel(f"molar heat capacity [{molar_C.pint.units:~P}]")
axes[1].semilogx(T, molar_S.pint.magnitude, label="entropy")
axes[1].axhline(R * np.log(levels.n_states), color="k", ls="--", lw=0.8, label="R ln 7")
axes[1].axhline(R * np.log(2), color="k", ls=":", lw=0.8, label="R ln 2 (ground doublet)")
axes[1].set_xlabel(f"temperature $T$ [{sweep.temperature.attrs['units']}]")
axes[1].set_ylabel(f"molar entropy [{molar_S.pint.units:~P}]")
axes[1].legend(loc="lower right")
fig.tight_layout()

# %%
# The ``units`` option of :func:`maxent.temperature_sweep` and
# :func:`maxent.canonical` says in what unit *unitless* energies are; for a table that
# already has a unit it may only repeat it (``units="cm^-1"`` with this meV table is
# refused as a contradiction), so a unit is converted or refused, never reinterpreted.
# The ``maxent-sweep`` command reads the same files (``maxent-sweep --levels
# crystal_field.csv``) and writes the same netCDF Dataset.

# %%
# The claims of this page, checked at every build:

assert np.allclose(sweep.internal_energy, k_B * sweep_K.internal_energy.values, rtol=1e-12)
assert np.allclose(sweep.heat_capacity, sweep_K.heat_capacity.values, rtol=1e-12)
assert abs(float(molar_S[-1].pint.magnitude) - R * np.log(7)) < 0.1  # all 7 states at 300 K
