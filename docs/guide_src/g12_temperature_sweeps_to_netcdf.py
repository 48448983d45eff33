r"""
12. Temperature sweeps to xarray and netCDF
===========================================

:func:`maxent.temperature_sweep` computes the canonical ensemble at many temperatures at
once and returns an :class:`xarray.Dataset`: thermodynamic variables against
``temperature`` and level populations against ``temperature`` and ``level``, each with
``long_name`` and ``units``, ready for ``to_netcdf``.  This is what the ``maxent-sweep``
command writes.  Below, the exact spectrum of the 4 × 4 periodic Ising lattice, whose
heat capacity peaks near the infinite lattice's :math:`T_c = 2/\ln(1+\sqrt2) \approx 2.269`.
"""

import numpy as np
import xarray as xr

import maxent

lv = maxent.models.ising_2d(4)
ds = maxent.temperature_sweep(lv, np.geomspace(0.5, 10, 200))
ds

# %%
T_peak = float(ds.heat_capacity.idxmax("temperature"))
print(f"heat capacity peak at T = {T_peak:.3f};  T_c(infinite) = {2 / np.log(1 + np.sqrt(2)):.3f}")

ds.to_netcdf("ising_4x4_sweep.nc")
back = xr.open_dataset("ising_4x4_sweep.nc")
print(
    "round trip identical:",
    back.identical(ds),
    "| units of heat capacity:",
    back.heat_capacity.attrs["units"],
)
back.close()

# %%
# :func:`maxent.plot_sweep` draws U, S, C and F against T and a heat map of the level
# populations:

fig = maxent.plot_sweep(ds)

# %%
# With a unit system, energies carry units and temperatures are in kelvin; here the NIST
# levels of iron (in :math:`\mathrm{cm}^{-1}`) between 1000 K and 10000 K:

fe = maxent.temperature_sweep(maxent.models.atom("Fe"), np.linspace(1000, 10000, 10))
print(fe.internal_energy.attrs["units"], fe.temperature.attrs["units"])
print(fe.internal_energy.values.round(1))
