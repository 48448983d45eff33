"""Random numbers and bit counting for the compiled lattice kernels.

The generators are Blackman and Vigna's xoshiro256 family, whose state is four 64-bit
words.  A kernel keeps the state in four local variables (registers), advanced by the
inlined steps below, and stores it back into its 4-word ``uint64`` array when it returns:
no memory traffic per draw.  ``xoshiro256+`` (:func:`step_plus`) is the fastest; its top
53 bits are of full quality and are what the acceptance tests use.  ``xoshiro256++``
(:func:`step_plusplus`) has every bit of full quality, for the bit-parallel (multi-spin)
kernels that use all 64.

An acceptance probability p is a 53-bit integer threshold (:func:`thresholds`): a move is
accepted when the top 53 bits of a draw, read as an integer u, satisfy u < ceil(p 2^53),
which is the float test ``u 2^-53 < p`` exactly; p = 1 gives 2^53, always accepted.

References
----------
D. Blackman and S. Vigna, "Scrambled linear pseudorandom number generators",
ACM Trans. Math. Softw. 47, 36 (2021).
D. Lemire, "Fast random integer generation in an interval", ACM TOMACS 29, 3 (2019).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, types
from numba.extending import intrinsic
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "ONE_BIT",
    "TOP_BITS",
    "below",
    "popcount",
    "rng_state",
    "step_plus",
    "step_plusplus",
    "thresholds",
]

#: Bits of a draw compared with a threshold (the top 53, after a shift by 11).
TOP_BITS = 53
ONE_BIT = np.uint64(1)
_U11 = np.uint64(64 - TOP_BITS)
_U17 = np.uint64(17)
_U19 = np.uint64(19)
_U23 = np.uint64(23)
_U32 = np.uint64(32)
_U41 = np.uint64(41)
_U45 = np.uint64(45)
_LOW32 = np.uint64(0xFFFFFFFF)


def rng_state(rng: np.random.Generator) -> NDArray[np.uint64]:
    """A fresh xoshiro256 state (4 words, not all zero) drawn from ``rng``."""
    state = rng.integers(0, np.iinfo(np.uint64).max, size=4, dtype=np.uint64, endpoint=True)
    if not state.any():
        state[0] = 1
    return state


def thresholds(p: ArrayLike) -> NDArray[np.uint64]:
    """53-bit integer thresholds ceil(p 2^53) of probabilities p in [0, 1] (see above)."""
    scaled = np.ceil(np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0) * 2.0**TOP_BITS)
    return scaled.astype(np.uint64)


@intrinsic
def popcount(typingctx: Any, x: Any) -> Any:
    """Number of set bits of a uint64 (one instruction where the CPU has one)."""
    if x != types.uint64:
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.ctpop(args[0])

    return types.uint64(types.uint64), codegen


@njit(cache=True, nogil=True, inline="always")
def _advance(s0: int, s1: int, s2: int, s3: int) -> tuple[int, int, int, int]:
    t = s1 << _U17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << _U45) | (s3 >> _U19)
    return s0, s1, s2, s3


@njit(cache=True, nogil=True, inline="always")
def step_plus(s0: int, s1: int, s2: int, s3: int) -> tuple[int, int, int, int, int]:
    """xoshiro256+: (draw, s0, s1, s2, s3); compare ``draw >> 11`` with a threshold."""
    result = s0 + s3
    s0, s1, s2, s3 = _advance(s0, s1, s2, s3)
    return result >> _U11, s0, s1, s2, s3


@njit(cache=True, nogil=True, inline="always")
def step_plusplus(s0: int, s1: int, s2: int, s3: int) -> tuple[int, int, int, int, int]:
    """xoshiro256++: (64 good bits, s0, s1, s2, s3)."""
    x = s0 + s3
    result = ((x << _U23) | (x >> _U41)) + s0
    s0, s1, s2, s3 = _advance(s0, s1, s2, s3)
    return result, s0, s1, s2, s3


@njit(cache=True, nogil=True, inline="always")
def below(n: int, s0: int, s1: int, s2: int, s3: int) -> tuple[int, int, int, int, int]:
    """An int in [0, n), 1 <= n < 2**32, exactly uniform (Lemire's multiply-shift with
    rejection of the few biased products): (value, s0, s1, s2, s3)."""
    bound = np.uint64(n)
    limit = (np.uint64(1 << 32) - bound) % bound  # 2^32 mod n: products below are biased
    while True:
        r, s0, s1, s2, s3 = step_plusplus(s0, s1, s2, s3)
        product = (r & _LOW32) * bound
        if (product & _LOW32) >= limit:
            return np.int64(product >> _U32), s0, s1, s2, s3
