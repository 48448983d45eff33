"""
The ``maxent-sweep`` figure: 4 × 4 Ising lattice
================================================

What ``maxent-sweep`` (or ``python3 scripts/temperature_sweep.py``) draws with no
arguments: the exactly enumerated 4 × 4 periodic Ising lattice (J = k_B = 1), 200
temperatures from 0.5 to 10 on a log grid; internal energy, entropy, heat capacity and
free energy against T, and the populations of the 15 energy levels.  The command also
writes the Dataset to ``maxent_sweep.nc``.
"""

import numpy as np

import maxent

lv = maxent.models.ising_2d(4)
ds = maxent.temperature_sweep(lv, np.geomspace(0.5, 10, 200))
fig = maxent.plot_sweep(ds)
print(ds.attrs)
