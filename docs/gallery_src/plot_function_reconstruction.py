r"""
``scripts/function_reconstruction.py``: error against the number of moments
============================================================================

The script rebuilds the four kinds of test function of Biswas & Bhattacharya (J. Phys.
A 43, 405003, 2010) on [0, 1] from their first K Chebyshev moments by
:func:`maxent.density`: a step, a rapidly oscillating function, an integrable
singularity inside the interval and the natural density of the logistic map
:math:`x \mapsto 4x(1-x)`, and prints the L1 distance and the Kullback-Leibler divergence
for each K.  The L1 error falls as a power of K where the function is not smooth (the
jump, the singularities) and, for the oscillating function, stays put until K resolves
its eight periods and then falls faster than any power.
"""

import runpy
import sys
import tempfile
from pathlib import Path

import maxent

script = Path(maxent.__file__).resolve().parents[1] / "scripts" / "function_reconstruction.py"
with tempfile.TemporaryDirectory() as tmp:
    sys.argv = [str(script), "--plot", str(Path(tmp) / "errors.png")]
    runpy.run_path(str(script), run_name="__main__")
