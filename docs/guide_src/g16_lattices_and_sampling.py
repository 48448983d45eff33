r"""
16. Lattices, Monte Carlo and parallel tempering
================================================

A lattice model in maxent is two values: a *geometry* (sites, bonds, a colouring) and a
model on it (:class:`maxent.IsingModel`, :class:`maxent.PottsModel`).  Every sampler
reads the geometry the same way, so the triangular antiferromagnet, the honeycomb Potts
model and the cubic Ising model are sampled by the same compiled loops.  Small lattices
are also enumerated exactly by :func:`maxent.models.lattice_spectrum`, which is how the
samplers are tested: each within a few of its own error bars of the exact answer.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np

import maxent
from maxent import lattice

# %%
# Geometries
# ----------
# Each builder returns a frozen :class:`~maxent.geometry.Lattice`: ``bonds`` (each once),
# a ``neighbors`` table padded with -1, the ``coordination`` of each site and a proper
# ``colors`` (no bond inside one colour) for checkerboard sweeps.

for lat in (
    lattice.chain(8),
    lattice.square(4),
    lattice.triangular(3, 6),
    lattice.honeycomb(3, 3),
    lattice.cubic(4),
):
    print(
        f"{lat.name:32s} N = {lat.n_sites:3d}  bonds = {lat.n_bonds:3d}  "
        f"z = {int(lat.coordination.max())}  colours = {lat.n_colors}"
    )

# %%
# Drawn in the plane (periodic bonds, which wrap around, are left out), with the
# colouring that the samplers sweep in turn:


def positions(lat):
    """Cartesian positions of the sites of a 2-D lattice, for drawing only."""
    if lat.family == "honeycomb":
        i, j, s = np.indices(lat.shape).reshape(3, -1)
        a1, a2 = np.array([1.5, np.sqrt(3) / 2]), np.array([1.5, -np.sqrt(3) / 2])
        return i[:, None] * a1 + j[:, None] * a2 + s[:, None] * np.array([1.0, 0.0])
    i, j = np.indices(lat.shape).reshape(2, -1)
    skew = -0.5 if lat.family == "triangular" else 0.0
    return np.stack([j + skew * i, -i * (np.sqrt(3) / 2 if skew else 1.0)], axis=1)


fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
for ax, lat in zip(
    axes, (lattice.square(4), lattice.triangular(6, 6), lattice.honeycomb(3, 3)), strict=True
):
    xy = positions(lat)
    for a, b in lat.bonds:
        if np.hypot(*(xy[a] - xy[b])) < 1.5:
            ax.plot(*xy[[a, b]].T, color="0.6", lw=1, zorder=1)
    ax.scatter(*xy.T, c=lat.colors, cmap="viridis", s=40, zorder=2)
    ax.set_title(lat.name.split(",")[0])
    ax.set_aspect("equal")
    ax.axis("off")
fig.tight_layout()

# %%
# Monte Carlo with error bars against exact enumeration
# -----------------------------------------------------
# The Ising antiferromagnet on the triangular lattice is frustrated: no configuration
# satisfies every bond, and the ground state is hugely degenerate.  On a 3 x 4 torus its
# :math:`2^{12}` states are enumerated exactly; :func:`maxent.sample_sweep` runs two
# independent chains (one hot, one cold start) of the heat-bath sampler at each
# temperature and reports means with blocking error bars.

model = maxent.IsingModel(lattice.triangular(3, 4), coupling=-1.0)
exact_levels = maxent.models.lattice_spectrum(model)
T_fine = np.geomspace(0.3, 6.0, 200)
exact = maxent.temperature_sweep(exact_levels, T_fine)
T = np.array([0.4, 0.7, 1.0, 1.5, 2.2, 3.5, 5.0])
mc = maxent.sample_sweep(model, T, sampler="heat_bath", n_sweeps=20_000, seed=1)

fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
for ax, name in zip(axes, ("internal_energy", "heat_capacity"), strict=True):
    ax.plot(T_fine, exact[name] / model.n_sites, color="k", lw=1, label="exact (enumeration)")
    ax.errorbar(
        T,
        mc[name] / model.n_sites,
        yerr=4 * mc[f"{name}_error"] / model.n_sites,
        fmt="o",
        ms=4,
        capsize=3,
        label="heat bath, 4 error bars",
    )
    ax.set_xlabel("temperature T / |J|")
    ax.set_ylabel(name.replace("_", " ") + " per site")
axes[0].legend()
fig.tight_layout()

z = (mc.internal_energy - maxent.temperature_sweep(exact_levels, T).internal_energy) / (
    mc.internal_energy_error
)
print("deviations from exact in error bars:", np.round(z.values, 2))

# %%
# Trapped chains and parallel tempering
# -------------------------------------
# Below the transition a single-spin chain started from a random configuration can
# freeze into stripes: two domains that wrap around the torus, with an energy that sits
# far above equilibrium while the chain looks perfectly stationary.  Here we start one
# chain from such a stripe and one from the ordered state; :func:`maxent.monte_carlo`
# compares them and warns.

square = maxent.IsingModel((48, 48))
stripe = np.ones((48, 48), dtype=np.int8)
stripe[:24] = -1
starts = np.stack([stripe, np.ones((48, 48), dtype=np.int8)])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    run = maxent.monte_carlo(square, 1.5, n_sweeps=4000, initial=starts, seed=3)
print(caught[0].message if caught else "no warning")
print("chain means:", run.energy.mean("sweep").values)

# %%
# Parallel tempering runs one replica per temperature of a ladder and lets neighbours
# swap configurations, so a stripe carried up to a high temperature melts there and comes
# back down as a proper domain.  Started from the same stripe at every temperature:

ladder = np.geomspace(1.5, 3.2, 16)
pt = maxent.parallel_tempering(
    square, ladder, n_sweeps=4000, initial=np.stack([stripe] * ladder.size), seed=4
)
exact_per_site = maxent.models.ising_2d_thermo(48, ladder).internal_energy_per_site
sampled = pt.energy.mean("sweep") / square.n_sites
print("swap acceptance:", np.round(pt.swap_acceptance.values, 2))

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(ladder, exact_per_site, "k-", lw=1, label="exact (Kaufman)")
ax.plot(ladder, sampled, "o", ms=4, label="parallel tempering")
ax.plot(1.5, run.energy[0].mean() / square.n_sites, "rx", ms=8, label="trapped Metropolis chain")
ax.set_xlabel("temperature T / J")
ax.set_ylabel("energy per site")
ax.legend()
fig.tight_layout()
