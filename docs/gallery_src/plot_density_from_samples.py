r"""
Densities from the moments of samples
=====================================

The maximum-entropy density with the first K moments of a sample, against its
histogram.  The sample's Chebyshev moments on an interval are moments of the empirical
distribution, so some density always has them (for K below the number of distinct
points); a few moments give a smooth summary, more follow the sample's own fluctuations.
Here 2000 draws from a bimodal law of durations between 0 and 7 minutes.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

import maxent

rng = np.random.default_rng(3)
n = 2000
first = rng.random(n) < 0.35
data = np.where(first, rng.normal(2.0, 0.28, n), rng.normal(4.3, 0.42, n))
support = (0.0, 7.0)
u = (2 * data - support[0] - support[1]) / (support[1] - support[0])
moments = np.polynomial.chebyshev.chebvander(u, 16)[:, 1:].mean(axis=0)

x = np.linspace(*support, 701)
law = 0.35 * stats.norm(2.0, 0.28).pdf(x) + 0.65 * stats.norm(4.3, 0.42).pdf(x)
fig, ax = plt.subplots(figsize=(6.5, 3.8))
ax.hist(data, bins=60, range=support, density=True, color="0.85", label="2000 samples")
ax.plot(x, law, "k--", lw=1, label="the law they come from")
for k in (4, 8, 16):
    d = maxent.density(moments[:k], support=support, basis="chebyshev")
    ax.plot(x, d.pdf(x), lw=1.5, label=f"maximum entropy, {k} moments")
    print(f"K = {k:2d}: converged {d.converged}, entropy {d.entropy():.4f} nats")
ax.set_xlabel("duration (min)")
ax.set_ylabel("density")
ax.legend(fontsize="small")
fig.tight_layout()

# %%
# The result is a frozen distribution in the sense of :mod:`scipy.stats`: quantiles,
# draws and moments come with it.

d = maxent.density(moments[:8], support=support, basis="chebyshev")
print("median", round(float(d.median()), 4), " sample median", round(float(np.median(data)), 4))
print("90% interval", np.round(d.interval(0.9), 3))
print("mean", round(float(d.mean()), 4), " sample mean", round(float(data.mean()), 4))
print("five draws", np.round(d.rvs(size=5, random_state=1), 3))
