"""Multiple sequence alignments (FASTA / A2M) read for pairwise models of sequences.

:func:`read_alignment` reads aligned sequences, optionally keeps only the columns of a
focus sequence (its upper-case, non-gap positions, as plmc's ``-f`` does) and drops the
sequences with characters outside an alphabet; the result feeds
:func:`maxent.fit_pairwise` (``alphabet=``, ``missing="-"``).
"""

from __future__ import annotations

import gzip
import lzma
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .errors import InvalidInputError

__all__ = ["PROTEIN_ALPHABET", "Alignment", "read_alignment"]

#: The 20 amino acids and the gap, in plmc's order (gap first).
PROTEIN_ALPHABET = "-ACDEFGHIKLMNPQRSTVWY"


@dataclass(frozen=True)
class Alignment:
    """Aligned sequences, as returned by :func:`read_alignment`.

    Attributes
    ----------
    names : tuple of str
        The header of each sequence (without ``>``).
    sequences : tuple of str
        The sequences, all of one length (the kept columns), upper case, gaps ``-``.
    positions : ndarray of int, shape (n_columns,)
        For each kept column, the residue number in the focus sequence (counted from the
        start of its ``/start-end`` range, or 1), or the column number (1-based) without
        a focus.
    columns : ndarray of int, shape (n_columns,)
        For each kept column, its index (0-based) in the file's alignment.
    n_dropped : int
        Sequences dropped for characters outside ``alphabet``.
    """

    names: tuple[str, ...]
    sequences: tuple[str, ...]
    positions: NDArray[np.int64]
    columns: NDArray[np.int64]
    n_dropped: int

    def __post_init__(self) -> None:
        for name in ("positions", "columns"):
            arr = np.array(getattr(self, name), dtype=np.int64)
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    def __repr__(self) -> str:
        return (
            f"Alignment({len(self.sequences)} sequences x {self.positions.size} columns, "
            f"{self.n_dropped} dropped)"
        )


def _open(path: str | os.PathLike[str]) -> Iterator[str]:
    name = os.fspath(path)
    opener = gzip.open if name.endswith(".gz") else lzma.open if name.endswith(".xz") else open
    try:
        with opener(name, "rt", encoding="ascii") as fh:
            yield from fh
    except (OSError, UnicodeDecodeError, EOFError, lzma.LZMAError) as exc:
        raise InvalidInputError(
            f"`path` {name!r} cannot be read as a text alignment: {exc}"
        ) from None


def _records(path: str | os.PathLike[str]) -> tuple[list[str], list[str]]:
    names: list[str] = []
    parts: list[list[str]] = []
    for line in _open(path):
        line = line.strip()
        if not line:
            continue
        if line.startswith(">"):
            names.append(line[1:].strip())
            parts.append([])
        elif not names:
            raise InvalidInputError(
                f"`path` {os.fspath(path)!r}: the first record must start with '>'."
            )
        else:
            parts[-1].append(line)
    if not names:
        raise InvalidInputError(f"`path` {os.fspath(path)!r} holds no sequences.")
    seqs = ["".join(p) for p in parts]
    lengths = {len(s) for s in seqs}
    if len(lengths) != 1:
        k = next(k for k, s in enumerate(seqs) if len(s) != len(seqs[0]))
        raise InvalidInputError(
            f"`path`: sequence {k} ({names[k]!r}) has {len(seqs[k])} columns but sequence 0 "
            f"has {len(seqs[0])}; an alignment needs equal lengths."
        )
    return names, seqs


def _focus_columns(name: str, seq: str) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Kept columns (upper-case letters of the focus) and their residue numbers."""
    start = 1
    region = name.split()[0].rpartition("/")[2]
    first, dash, _ = region.partition("-")
    if dash and first.isdigit():
        start = int(first)
    residue = np.cumsum([c not in "-." for c in seq]) - 1 + start
    keep = np.array([c.isalpha() and c.isupper() for c in seq])
    cols = np.flatnonzero(keep)
    return cols, residue[cols]


def read_alignment(
    path: str | os.PathLike[str], *, focus: str | None = None, alphabet: str | None = None
) -> Alignment:
    """Read a FASTA or A2M alignment (plain, ``.gz`` or ``.xz``).

    Parameters
    ----------
    path : str or path-like
        The file: records ``>name`` followed by the aligned sequence on one or more lines.
    focus : str, optional
        Keep only the columns where the first sequence whose name starts with ``focus``
        has an upper-case letter (A2M match states; gaps and inserts dropped), as plmc's
        ``-f`` does.
    alphabet : str, optional
        Drop the sequences with a character outside it (after '.' becomes '-' and letters
        become upper case), as plmc does; e.g. :data:`PROTEIN_ALPHABET`.

    Returns
    -------
    Alignment

    Raises
    ------
    InvalidInputError
        If the file cannot be read, holds no records, has sequences of unequal length, or
        no sequence name starts with ``focus``.

    Examples
    --------
    >>> import pathlib, tempfile, maxent
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "toy.a2m"
    >>> _ = path.write_text(">a/5-8\\nAC-Dx\\n>b\\nGCYEE\\n>c\\nBC-D.\\n")
    >>> ali = maxent.read_alignment(path, focus="a", alphabet=maxent.PROTEIN_ALPHABET)
    >>> ali.sequences, ali.positions.tolist(), ali.n_dropped
    (('ACD', 'GCE'), [5, 6, 7], 1)
    """
    names, seqs = _records(path)
    if focus is not None:
        hits = [k for k, n in enumerate(names) if n.startswith(focus)]
        if not hits:
            raise InvalidInputError(f"`focus`: no sequence name starts with {focus!r}.")
        cols, positions = _focus_columns(names[hits[0]], seqs[hits[0]])
    else:
        cols = np.arange(len(seqs[0]))
        positions = cols + 1
    seqs = ["".join(s[c] for c in cols).replace(".", "-").upper() for s in seqs]
    n_dropped = 0
    if alphabet is not None:
        allowed = set(alphabet)
        keep = [k for k, s in enumerate(seqs) if set(s) <= allowed]
        n_dropped = len(seqs) - len(keep)
        names, seqs = [names[k] for k in keep], [seqs[k] for k in keep]
    return Alignment(tuple(names), tuple(seqs), positions, cols, n_dropped)
