"""Temperature sweep of a built-in model or level file: netCDF + PNG.

The same as the ``maxent-sweep`` command; see ``python3 scripts/temperature_sweep.py -h``.
With no arguments: the 4 x 4 periodic Ising lattice over the default range, which follows
the spectrum (T = 0.5 to 17).
"""

import sys

from maxent.cli import main

if __name__ == "__main__":
    sys.exit(main())
