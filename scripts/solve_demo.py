"""A tour of maxent.solve: a loaded die, a Gaussian on a grid, a boundary and a bound.

Run:  python scripts/solve_demo.py
"""

import numpy as np

import maxent


def main():
    faces = np.arange(1.0, 7.0)
    die = maxent.solve({"face": faces}, {"face": 4.5})
    print("Loaded die with mean 4.5 (Jaynes' Brandeis dice problem):")
    print("  p =", np.array2string(die.p, precision=4))
    print(
        f"  lambda = {die.multipliers[0]:.6f}, entropy = {die.entropy:.6f} nats,"
        f" {die.n_iter} Newton steps"
    )

    x = np.linspace(-20, 20, 4001)
    gauss = maxent.solve({"x": x, "x^2": x**2}, {"x": 1.0, "x^2": 5.0})
    print("Fixed mean 1 and variance 4 on a grid: the Gaussian")
    print(f"  multipliers = {gauss.multipliers} (expected [-0.25, 0.125])")

    six = maxent.solve({"face": faces}, {"face": 6.0})
    print("Mean exactly 6 (on the boundary): p =", six.p, "lambda =", six.multipliers[0])

    capped = maxent.solve({"face": faces}, upper={"face": 3.0})
    print(f"Mean at most 3: reached {capped.moments[0]:.6f}, lambda = {capped.multipliers[0]:.6f}")

    try:
        maxent.solve({"face": faces}, {"face": 7.0})
    except maxent.InfeasibleTargetsError as err:
        print("Mean 7 is impossible:", err)

    ds = die.to_xarray()
    ds.to_netcdf("solve_demo.nc")
    print("Wrote solve_demo.nc:", dict(ds.sizes))


if __name__ == "__main__":
    main()
