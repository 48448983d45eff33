r"""
15. Reweighting a simulation to experiments
===========================================

A molecular dynamics simulation gives frames :math:`i = 1..n` with weights :math:`w^0_i`
(here equal); on each frame a *forward model* computes observables :math:`F_{ik}` that
an experiment measures, :math:`t_k \pm \sigma_k`.  When the simulated averages disagree
with the data, Bayesian/maximum-entropy reweighting (BME) changes the weights as little as
possible, in relative entropy, while fitting the data within their errors:

.. math::

    w = \arg\min_w\; \theta\,\mathrm{KL}(w\,\|\,w^0)
        + \tfrac12 \sum_k \frac{(\langle F_k\rangle_w - t_k)^2}{\sigma_k^2}.

The answer is :math:`w_i \propto w^0_i\, e^{-\lambda\cdot F_i}`: the moment problem of
:func:`maxent.solve`, with the simulation as prior and Gaussian noise of variance
:math:`\theta\sigma_k^2` on each target.  :func:`maxent.reweight` adds BME's conventions
and statistics, and the choice of :math:`\theta`.

The data are BME's own example (Bottaro, Bengtsen & Lindorff-Larsen 2020; files from
KULL-Centre/BME, shipped in ``tests/data/bme``): an RNA tetranucleotide simulated for
20,000 frames, with 26 measured scalar couplings (:math:`^3J`, in Hz) to fit and 27 NOE
distances (in Å, averaged as :math:`\langle r^{-6}\rangle^{-1/6}`) kept aside to check
the result.
"""

from pathlib import Path

import matplotlib.pyplot as plt

import maxent

DATA = Path(maxent.__file__).resolve().parents[1] / "tests" / "data" / "bme"
j_exp = maxent.read_bme_experiment(DATA / "couplings_exp.dat")
j_calc = maxent.read_bme_calculated(DATA / "couplings_calc.dat.zip", names=j_exp.names)
noe_exp = maxent.read_bme_experiment(DATA / "NOE_exp.dat")
noe_calc = maxent.read_bme_calculated(DATA / "NOE_calc.dat.zip", names=noe_exp.names)
print(j_exp)
print(f"couplings computed on {j_calc.sizes['frame']} frames; NOEs averaged with power "
      f"{noe_exp.power:g}")  # fmt: skip

# %%
# Fitting the couplings
# ---------------------
# At a fixed :math:`\theta` (BME's test uses 0.5) the result carries BME's statistics:
# :math:`\chi^2` as the mean over the data of the squared normalised residuals, before
# and after, and the fraction of effective frames :math:`\phi = e^{-\mathrm{KL}}`; also
# Kish's effective sample size, computed from the log-weights.


def fit(theta):
    return maxent.reweight(j_calc, j_exp.targets, j_exp.sigma, theta=theta)


res = fit(0.5)
print(res)

# %%
# The NOEs were not fitted.  ``predict`` compares them with the ensemble before and after
# (:math:`\chi^2`, RMSD in Å, and the number of distances more than one sigma off):


def noe_check(result):
    return result.predict(noe_calc, noe_exp.targets, noe_exp.sigma, power=noe_exp.power)


check = noe_check(res)
print(f"NOE chi2 {check.chi2_before:.3f} -> {check.chi2_after:.3f}, RMSD "
      f"{check.rmsd_before:.3f} -> {check.rmsd_after:.3f} Å, violations "
      f"{check.violations_before} -> {check.violations_after}")  # fmt: skip

# %%
# Reweighting to the couplings brings the independent NOEs closer too: the couplings
# carry information about the same conformations.  But :math:`\theta = 0.5` was just a
# number: how much should the data be trusted against the simulation?
#
# Choosing theta by cross-validation
# ----------------------------------
# ``theta="cv"`` does what BME's ``theta_scan`` does: in 5 fixed random splits it fits
# 75 % of the couplings on 80 % of the frames at every theta of a grid, and scores the
# other 25 % of the couplings on the other 20 % of the frames (:math:`\chi^2` after over
# before); theta minimises the mean score.  A held-out score below 1 means the
# reweighting predicts data it has not seen.

cv = fit("cv")
print(f"cv: theta = {cv.theta:.3g}, chi2 {cv.chi2_before:.3f} -> {cv.chi2_after:.3f}, "
      f"phi = {cv.phi:.3f}, Kish frames {cv.effective_sample_size:.0f}")  # fmt: skip
for th, score in zip(cv.scan_theta, cv.scan_validation, strict=True):
    print(f"  theta {th:9.3g}   held-out chi2 after/before {score:.3f}")

# %%
# Choosing theta by an alpha rule
# -------------------------------
# theta plays the part of alpha in :func:`maxent.fit` (relative entropy as the penalty,
# :math:`\tfrac12\chi^2` summed over the data), so the fits' rules apply as they are:
# ``"gcv"`` (generalised cross-validation), ``"lcurve"`` (the corner of
# :math:`\log\chi^2` against :math:`\log\theta`), ``"historic"`` (:math:`\chi^2 = N`).

rules = {"cv": cv}
for rule in ("gcv", "lcurve", "historic"):
    rules[rule] = fit(rule)
print(f"{'rule':9s} {'theta':>8s} {'chi2':>7s} {'phi':>7s} {'NOE chi2':>9s}")
for rule, r in rules.items():
    print(f"{rule:9s} {r.theta:8.3g} {r.chi2_after:7.4f} {r.phi:7.4f} "
          f"{noe_check(r).chi2_after:9.3f}")  # fmt: skip

# %%
# The NOEs are the honest referee, since none of the rules saw them.  Over the whole
# scan (left: the cross-validation scan, :func:`maxent.plot_theta_scan`), the NOE
# :math:`\chi^2` has a minimum (right), and cross-validation on the couplings alone
# lands on it.  The :math:`\chi^2` of the couplings falls from 1.15 to a floor of 0.03
# as theta decreases; ``"lcurve"`` picks the corner where it reaches that floor, where
# the weights sit on a few dozen frames (:math:`\phi < 0.01`) and the NOEs get worse
# again: the fit then follows the noise of the couplings and of their forward model.
# ``"historic"`` (:math:`\chi^2` of 1 per datum) barely moves the ensemble, because the
# couplings' errors (1.5 Hz, mostly the Karplus relation's) are large.  ``"gcv"`` lies
# in between.

scan = cv.scan_theta
noe_scan = [noe_check(fit(float(th))).chi2_after for th in scan]
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
maxent.plot_theta_scan(cv, ax=left)
left.set_title("cross-validation on the couplings")
right.plot(scan, noe_scan, "o-", color="C4", ms=4, label="NOEs after reweighting")
right.axhline(check.chi2_before, color="C4", ls=":", lw=1, label="NOEs at the prior")
for (rule, r), marker in zip(rules.items(), "*DsX", strict=True):
    right.plot(r.theta, noe_check(r).chi2_after, marker, ms=10, label=f"theta by {rule}")
right.set_xscale("log")
right.invert_xaxis()
right.set_xlabel(r"$\theta$")
right.set_ylabel(r"NOE $\chi^2$ (not fitted)")
right.set_title("validation on the NOEs")
right.legend(fontsize="small")

# %%
# The result is a value (read-only arrays, no reference to the input) and converts to
# an :class:`xarray.Dataset` with dims ``frame`` and ``observable`` that saves to netCDF.
# The same run from the shell, with BME's files:
#
# .. code-block:: text
#
#    maxent-reweight --exp couplings_exp.dat --calc couplings_calc.dat.zip --theta cv \
#        --validate NOE_exp.dat NOE_calc.dat.zip --out weights.nc
#
# writes ``weights.nc`` and ``weights.png`` (the theta scan and the data before and
# after).  One-sided data (``bounds=``), power averaging (``power=``), nuisance scale
# and offset (``fit=``), non-linear forward models (``forward=``), prior weights, and
# frames in dask arrays or chunk sources are described in :func:`maxent.reweight`.

ds = cv.to_xarray()
print(ds[["weights", "averages_after"]])
