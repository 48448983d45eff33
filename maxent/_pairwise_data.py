"""Samples of categorical variables as codes, and their weights, for the pairwise fits.

:func:`encode` reads what :func:`maxent.fit_pairwise` accepts (two-state values such as
+-1 or 0/1, integers 0 .. q-1, or sequences of letters with an alphabet) into one form:
an ``int8`` array of state codes 0 .. q-1, ``-1`` for a missing entry, and the tuple of
the q states' symbols (:class:`Encoding`), which also maps states back and forth
(:meth:`Encoding.codes_of`, :meth:`Encoding.symbols_of`).  :func:`sequence_weights`
down-weights near-duplicate samples (the reweighting of direct-coupling analysis).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _potts_kernels as kern
from ._checks import as_float_array, check_nonnegative, first_bad_index, integer, real_number
from ._parallel import ThreadExecutor
from .errors import InvalidInputError

__all__ = ["Encoding", "encode", "sequence_weights"]

MAX_STATES = 127  # codes are int8


@dataclass(frozen=True)
class Encoding:
    """How samples map to state codes: ``symbols[a]`` is state ``a``.

    ``kind`` is ``"values"`` (two numbers, e.g. -1 and +1), ``"integers"`` (0 .. q-1) or
    ``"alphabet"`` (one character per state); ``missing`` is the symbol read as a missing
    entry (code -1), or None.
    """

    symbols: tuple[Any, ...]
    kind: str
    missing: Any = None

    @property
    def q(self) -> int:
        """Number of states."""
        return len(self.symbols)

    def codes_of(self, samples: Any, name: str) -> NDArray[np.int8]:
        """Codes (n, n_sites) of ``samples`` written in this encoding."""
        if self.kind == "alphabet":
            return _letter_codes(samples, name, "".join(self.symbols), self.missing)
        x = _numeric_2d(samples, name)
        return _value_codes(x, name, self.symbols, self.missing)

    def symbols_of(self, codes: NDArray[np.int8]) -> NDArray[Any]:
        """The samples (n, n_sites) that ``codes`` stand for (the inverse of
        :meth:`codes_of`; letters as one-character strings)."""
        table = np.array(self.symbols)
        return table[codes]


def _numeric_2d(samples: Any, name: str) -> NDArray[np.float64]:
    x = as_float_array(samples, name, ndim=2)
    if x.shape[0] < 1 or x.shape[1] < 2:
        raise InvalidInputError(
            f"`{name}` must be (n_samples, n_sites) with at least 2 sites; got shape {x.shape}."
        )
    return x


def _value_codes(
    x: NDArray[np.float64], name: str, symbols: tuple[Any, ...], missing: Any
) -> NDArray[np.int8]:
    codes = np.full(x.shape, -2, dtype=np.int8)
    for a, value in enumerate(symbols):
        codes[x == value] = a
    if missing is not None:
        codes[(x == missing) | (np.isnan(x) & _is_nan(missing))] = -1
    bad = codes == -2
    if np.any(bad):
        idx = first_bad_index(bad)
        assert isinstance(idx, tuple)
        allowed = ", ".join(repr(s) for s in symbols)
        raise InvalidInputError(
            f"`{name}[{idx[0]}, {idx[1]}]` = {float(x[idx])!r} is none of the states ({allowed})"
            + ("" if missing is None else f" nor the missing value {missing!r}")
            + "."
        )
    return codes


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _letter_codes(samples: Any, name: str, alphabet: str, missing: str | None) -> NDArray[np.int8]:
    rows = _letter_rows(samples, name)
    table = np.full(256, -2, dtype=np.int8)
    for a, letter in enumerate(alphabet):
        table[ord(letter)] = a
    if missing is not None:
        table[ord(missing)] = -1
    codes = table[rows]
    bad = codes == -2
    if np.any(bad):
        s, k = (int(v) for v in np.argwhere(bad)[0])
        raise InvalidInputError(
            f"`{name}[{s}]` has {chr(rows[s, k])!r} at position {k}, which is not in "
            f"`alphabet` {alphabet!r}" + ("" if missing is None else " nor `missing`") + "."
        )
    return codes


def _letter_rows(samples: Any, name: str) -> NDArray[np.uint8]:
    """ASCII bytes (n, n_sites) of a sequence of equal-length strings or a 2-D array of
    one-character strings."""
    if isinstance(samples, (str, bytes)):
        raise InvalidInputError(
            f"`{name}` must be a sequence of strings (one per sample), not one string."
        )
    arr = np.asarray(samples)
    if arr.ndim == 2 and arr.dtype.kind in "US":
        texts = ["".join(row) for row in arr.astype(str)]
    elif arr.ndim == 1 and arr.dtype.kind in "US":
        texts = list(arr.astype(str))
    else:
        raise InvalidInputError(
            f"`{name}` must be strings (a sequence of str, or a 2-D array of characters) "
            f"when `alphabet` is given; got an array of dtype {arr.dtype} and shape {arr.shape}."
        )
    if not texts:
        raise InvalidInputError(f"`{name}` holds no sequences.")
    length = len(texts[0])
    for s, text in enumerate(texts):
        if len(text) != length:
            raise InvalidInputError(
                f"`{name}[{s}]` has {len(text)} characters but `{name}[0]` has {length}; "
                "aligned sequences must have equal lengths."
            )
        if not text.isascii():
            raise InvalidInputError(f"`{name}[{s}]` holds a character outside ASCII.")
    if length < 2:
        raise InvalidInputError(f"`{name}` must have at least 2 sites; got {length}.")
    data = "".join(texts).encode("ascii")
    return np.frombuffer(data, dtype=np.uint8).reshape(len(texts), length)


def _read_alphabet(alphabet: Any, missing: Any) -> tuple[str, ...]:
    if not isinstance(alphabet, str) or not alphabet.isascii():
        raise InvalidInputError(f"`alphabet` must be a str of ASCII characters; got {alphabet!r}.")
    if len(set(alphabet)) != len(alphabet):
        raise InvalidInputError(f"`alphabet` {alphabet!r} lists a character twice.")
    if missing is not None and (not isinstance(missing, str) or len(missing) != 1):
        raise InvalidInputError(
            f"`missing` must be one character when `alphabet` is given; got {missing!r}."
        )
    return tuple(c for c in alphabet if c != missing)


def _read_values(values: Any) -> tuple[float, float]:
    try:
        pair = tuple(real_number(v, "values") for v in values)
    except TypeError:
        raise InvalidInputError(f"`values` must be a pair of numbers; got {values!r}.") from None
    if len(pair) != 2 or pair[0] == pair[1]:
        raise InvalidInputError(f"`values` must be two distinct numbers; got {values!r}.")
    return _plain(pair[0]), _plain(pair[1])  # type: ignore[arg-type]


def _plain(v: float) -> Any:
    """An integral float as int (so that symbols print as -1, 1 rather than -1.0, 1.0)."""
    return int(v) if float(v).is_integer() else float(v)


def _guess_numeric(x: NDArray[np.float64], missing: Any) -> Encoding:
    present = (
        x[np.isfinite(x)] if _is_nan(missing) else x[x != missing] if missing is not None else x
    )
    seen = np.unique(present)
    if seen.size and set(seen.tolist()) <= {-1.0, 1.0}:
        return Encoding((-1, 1), "values", missing)
    if seen.size and set(seen.tolist()) <= {0.0, 1.0}:
        return Encoding((0, 1), "values", missing)
    if seen.size and np.all(seen == np.floor(seen)) and seen[0] >= 0 and seen[-1] < MAX_STATES:
        return Encoding(tuple(range(int(seen[-1]) + 1)), "integers", missing)
    raise InvalidInputError(
        "`samples` holds values other than -1/+1, 0/1 or small non-negative integers; pass "
        "`values=(down, up)` for two-state data or `q` for integer states 0 .. q-1."
    )


def encode(
    samples: ArrayLike | Sequence[str],
    *,
    q: int | None,
    values: Any,
    alphabet: str | None,
    missing: Any,
) -> tuple[NDArray[np.int8], Encoding]:
    """Codes (n_samples, n_sites) and the encoding of ``samples`` (see fit_pairwise)."""
    given = [k for k, v in (("q", q), ("values", values), ("alphabet", alphabet)) if v is not None]
    if len(given) > 1 and not (set(given) == {"q", "values"} and q == 2):
        raise InvalidInputError(
            f"pass at most one of `q`, `values` and `alphabet`; got {' and '.join(given)}."
        )
    if alphabet is not None:
        symbols = _read_alphabet(alphabet, missing)
        enc = Encoding(symbols, "alphabet", missing)
    else:
        if missing is not None and not _is_nan(missing):
            missing = _plain(real_number(missing, "missing"))  # type: ignore[arg-type]
        x = _numeric_2d(samples, "samples")
        if values is not None:
            enc = Encoding(_read_values(values), "values", missing)
        elif q is not None:
            n_states = integer(q, "q", minimum=2, maximum=MAX_STATES)
            enc = Encoding(tuple(range(n_states)), "integers", missing)  # type: ignore[arg-type]
        else:
            enc = _guess_numeric(x, missing)
        return _value_codes(x, "samples", enc.symbols, enc.missing), _checked(enc)
    return enc.codes_of(samples, "samples"), _checked(enc)


def _checked(enc: Encoding) -> Encoding:
    if not 2 <= enc.q <= MAX_STATES:
        raise InvalidInputError(
            f"the model needs 2 to {MAX_STATES} states per site; got {enc.q} "
            f"({', '.join(map(repr, enc.symbols[:5]))}{', ...' if enc.q > 5 else ''})."
        )
    return enc


def sequence_weights(
    codes: NDArray[np.int8], *, weights: ArrayLike | None, reweight: float | None
) -> NDArray[np.float64]:
    """Weights of the samples: ``weights`` as given, or 1 / (number of samples at least
    ``reweight`` identical to each, itself included), or all 1."""
    n, n_sites = codes.shape
    if weights is not None and reweight is not None:
        raise InvalidInputError("pass `weights` or `reweight`, not both.")
    if weights is not None:
        w = check_nonnegative(as_float_array(weights, "weights", ndim=1).copy(), "weights")
        if w.shape[0] != n:
            raise InvalidInputError(
                f"`weights` has {w.shape[0]} entries but `samples` has {n} samples."
            )
        if not np.sum(w) > 0:
            raise InvalidInputError("`weights` must not all be 0.")
        return w
    if reweight is None:
        return np.ones(n)
    identity = real_number(reweight, "reweight", minimum=0.0, strict=True)
    assert identity is not None
    if identity > 1:
        raise InvalidInputError(
            f"`reweight` is a fraction of identical sites in (0, 1]; got {identity}."
        )
    min_identical = math.ceil(identity * n_sites)
    counts = np.zeros(n, dtype=np.int64)
    blocks = [(a, min(a + 256, n)) for a in range(0, n, 256)]
    ThreadExecutor().reduce(
        lambda spec, b: kern.identical_neighbours(codes, min_identical, b[0], b[1], counts),
        None,
        blocks,
        lambda spec, parts: None,
    )
    return np.asarray(1.0 / (1.0 + counts), dtype=np.float64)
