r"""Statistics of correlated Monte Carlo time series: autocorrelation, blocking, jackknife,
and agreement between independent chains.

Successive samples of a Markov chain are correlated; the error of a mean is
:math:`\sigma/\sqrt{n/(2\tau_{\mathrm{int}})}` rather than :math:`\sigma/\sqrt{n}`.  This
module estimates :math:`\tau_{\mathrm{int}}` (Sokal's automatic window), the error of a
mean by blocking (Flyvbjerg & Petersen), the error of any function of means (heat
capacity, susceptibility, Binder cumulant) by a jackknife over blocks, the length of
the initial transient to discard (the start that maximises the number of effectively
independent samples that remain), and whether independent chains sample the same
distribution (:func:`chain_agreement`: split R-hat and the largest difference of chain
means in units of their blocking errors).

References
----------
A. D. Sokal, "Monte Carlo methods in statistical mechanics", Cargese lectures (1996).
H. Flyvbjerg and H. G. Petersen, J. Chem. Phys. 91, 461 (1989).
J. D. Chodera, J. Chem. Theory Comput. 12, 1799 (2016).
A. Gelman et al., Bayesian Data Analysis, 3rd ed., section 11.4 (split R-hat).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import as_float_array, check_finite
from .errors import InvalidInputError

__all__ = [
    "autocorrelation",
    "blocking_error",
    "chain_agreement",
    "equilibration_time",
    "integrated_autocorrelation_time",
    "jackknife",
]


def _series(x: ArrayLike, name: str = "x", minimum: int = 2) -> NDArray[np.float64]:
    arr = check_finite(as_float_array(x, name, ndim=1), name)
    if arr.size < minimum:
        raise InvalidInputError(f"`{name}` needs at least {minimum} samples; got {arr.size}.")
    return arr


def autocorrelation(x: ArrayLike) -> NDArray[np.float64]:
    r"""Normalised autocorrelation :math:`\rho(t)`, t = 0 ... n - 1 (by FFT; 1 at t = 0).

    A constant series has :math:`\rho = 1` at t = 0 and 0 elsewhere.

    Examples
    --------
    >>> from maxent.timeseries import autocorrelation
    >>> autocorrelation([1.0, -1.0, 1.0, -1.0])
    array([ 1.  , -0.75,  0.5 , -0.25])
    """
    x = _series(x)
    n = x.size
    d = x - x.mean()
    size = 1 << int(2 * n - 1).bit_length()
    spec = np.fft.rfft(d, size)
    acf = np.fft.irfft(spec * np.conj(spec), size)[:n]
    if acf[0] <= 0:
        out = np.zeros(n)
        out[0] = 1.0
        return out
    return acf / acf[0]


def integrated_autocorrelation_time(x: ArrayLike, *, window_factor: float = 5.0) -> float:
    r"""Integrated autocorrelation time :math:`\tau_{\mathrm{int}} = \tfrac12 + \sum_{t\ge1}
    \rho(t)`, summed up to Sokal's window.

    The window W is the smallest t with :math:`t \ge c\,\tau_{\mathrm{int}}(t)`
    (``c = window_factor``).  With this convention independent samples have
    :math:`\tau_{\mathrm{int}} = 1/2` and the variance of the mean is
    :math:`2\tau_{\mathrm{int}}\sigma^2/n`.  The estimate is reliable only when the series
    is much longer (say 1000 times) than :math:`\tau_{\mathrm{int}}`.

    Examples
    --------
    >>> import numpy as np
    >>> from maxent.timeseries import integrated_autocorrelation_time
    >>> x = np.random.default_rng(0).standard_normal(100_000)
    >>> round(integrated_autocorrelation_time(x), 1)
    0.5
    """
    rho = autocorrelation(x)
    tau = np.cumsum(rho) - 0.5
    t = np.arange(rho.size)
    ok = t >= window_factor * tau
    w = int(np.argmax(ok)) if np.any(ok) else rho.size - 1
    return float(max(tau[w], 0.5))


def blocking_error(x: ArrayLike, *, min_blocks: int = 32) -> float:
    """Standard error of the mean of a correlated series, by blocking (Flyvbjerg-Petersen).

    The series is halved repeatedly (averages of neighbouring pairs); the naive error of
    the mean grows with the block size until the blocks are independent, then levels off.
    The largest estimate among the levels that keep at least ``min_blocks`` blocks is
    returned (conservative: a plateau is reached only if the series holds many more than
    ``min_blocks`` autocorrelation times).

    Examples
    --------
    >>> import numpy as np
    >>> from maxent.timeseries import blocking_error
    >>> x = np.random.default_rng(1).standard_normal(2**16)
    >>> bool(abs(blocking_error(x) * 2**8 - 1.0) < 0.1)
    True
    """
    x = _series(x, minimum=2)
    best = float(np.sqrt(np.var(x, ddof=1) / x.size))
    while x.size >= 2 * min_blocks:
        n = x.size - x.size % 2
        x = 0.5 * (x[0:n:2] + x[1:n:2])
        best = max(best, float(np.sqrt(np.var(x, ddof=1) / x.size)))
    return best


def equilibration_time(x: ArrayLike, *, n_candidates: int = 20) -> int:
    r"""Number of initial samples to discard: the start :math:`t_0` that maximises
    :math:`(n - t_0)/(2\tau_{\mathrm{int}}(t_0))`, the number of effectively independent
    samples left (Chodera 2016), tried on ``n_candidates`` evenly spaced starts in the
    first half of the series.

    Examples
    --------
    >>> import numpy as np
    >>> from maxent.timeseries import equilibration_time
    >>> x = np.random.default_rng(2).standard_normal(4000)
    >>> x[:500] += 10.0 * np.exp(-np.arange(500) / 50.0)
    >>> 100 <= equilibration_time(x) <= 600
    True
    """
    x = _series(x, minimum=8)
    n = x.size
    best, best_t0 = -1.0, 0
    for t0 in np.unique(np.linspace(0, n // 2, n_candidates).astype(int)):
        n_eff = (n - t0) / (2.0 * integrated_autocorrelation_time(x[t0:]))
        if n_eff > best:
            best, best_t0 = n_eff, int(t0)
    return best_t0


def jackknife(
    estimator: Callable[..., float], *series: ArrayLike, n_blocks: int = 32
) -> tuple[float, float]:
    """Estimate and jackknife error of ``estimator(*series)`` over contiguous blocks.

    The series (equal lengths) are cut into ``n_blocks`` blocks; the estimator is
    evaluated on the data with one block left out at a time.  Blocks much longer than
    the autocorrelation time make the error honest for correlated data.  Returns the
    bias-corrected estimate and its standard error.

    Examples
    --------
    >>> import numpy as np
    >>> from maxent.timeseries import jackknife
    >>> jackknife(lambda a: float(np.mean(a)), [0.0, 0.0, 2.0, 2.0], n_blocks=2)
    (1.0, 1.0)
    """
    arrays = [_series(s, f"series[{k}]") for k, s in enumerate(series)]
    n = arrays[0].size
    if any(a.size != n for a in arrays):
        raise InvalidInputError("the `series` given to jackknife must have equal lengths.")
    if not 2 <= n_blocks <= n:
        raise InvalidInputError(f"`n_blocks` must be in [2, {n}]; got {n_blocks}.")
    edges = np.linspace(0, n, n_blocks + 1).astype(int)
    full = float(estimator(*arrays))
    partial = np.empty(n_blocks)
    for b in range(n_blocks):
        keep = np.r_[0 : edges[b], edges[b + 1] : n]
        partial[b] = estimator(*(a[keep] for a in arrays))
    mean = partial.mean()
    estimate = n_blocks * full - (n_blocks - 1) * mean
    error = float(np.sqrt((n_blocks - 1) / n_blocks * np.sum((partial - mean) ** 2)))
    return float(estimate), error


def chain_agreement(chains: ArrayLike) -> tuple[float, float]:
    r"""Whether independent chains of one observable agree: ``(rhat, z_max)``.

    ``rhat`` is the split-chain potential scale reduction :math:`\hat R` (Gelman et al.):
    each chain is cut in halves, and :math:`\hat R^2 = ((n-1)W/n + B/n)/W` with W the
    mean within-half variance and B/n the variance of the half means; it is close to 1
    when every half samples the same distribution.  ``z_max`` is the largest difference
    between two chains' means in units of its standard error,
    :math:`|\bar x_a - \bar x_b| / \sqrt{\sigma_a^2 + \sigma_b^2}` with blocking
    errors, so that it is about normal (above 5 about once in 10^6) when the chains agree.
    Constant chains give ``(1.0, 0.0)`` when equal and ``(inf, inf)`` when not.

    Parameters
    ----------
    chains : array_like, shape (n_chains, n_samples)
        At least 2 chains of at least 8 samples.

    Examples
    --------
    >>> import numpy as np
    >>> from maxent.timeseries import chain_agreement
    >>> x = np.random.default_rng(0).standard_normal((2, 4096))
    >>> rhat, z = chain_agreement(x)
    >>> bool(rhat < 1.01 and z < 4)
    True
    >>> chain_agreement(x + [[0.0], [1.0]])[1] > 20
    True
    """
    x = check_finite(as_float_array(chains, "chains", ndim=2), "chains")
    if x.shape[0] < 2 or x.shape[1] < 8:
        raise InvalidInputError(
            f"`chains` must hold at least 2 chains of 8 samples; got shape {x.shape}."
        )
    half = x.shape[1] // 2
    halves = np.concatenate([x[:, :half], x[:, half : 2 * half]])
    within = float(np.mean(np.var(halves, axis=1, ddof=1)))
    between = float(np.var(halves.mean(axis=1), ddof=1))
    if within == 0:
        return (1.0, 0.0) if between == 0 else (np.inf, np.inf)
    rhat = float(np.sqrt(((half - 1) / half * within + between) / within))
    means = x.mean(axis=1)
    errors = np.array([blocking_error(c) for c in x])
    z_max = 0.0
    for a in range(len(x)):
        for b in range(a + 1, len(x)):
            diff = abs(means[a] - means[b])
            spread = float(np.hypot(errors[a], errors[b]))
            z = diff / spread if spread > 0 else (np.inf if diff > 0 else 0.0)
            z_max = max(z_max, z)
    return rhat, float(z_max)
