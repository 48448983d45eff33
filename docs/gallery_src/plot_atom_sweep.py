"""
``maxent-sweep --model atom --element Fe``: iron levels from NIST
=================================================================

The canonical ensemble over the NIST energy levels of neutral iron (energies in
:math:`\\mathrm{cm}^{-1}`, degeneracies :math:`2J + 1`) from 1000 K to 10000 K, as the
command draws it.  Energies are in the levels' unit and temperatures in kelvin.
"""

import numpy as np

import maxent

fe = maxent.models.atom("Fe")
print(fe)
ds = maxent.temperature_sweep(fe, np.geomspace(1000, 10000, 200))
fig = maxent.plot_sweep(ds)
