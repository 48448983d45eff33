"""Extract NIST energy levels of neutral atoms from PyNeb into maxent/data/levels_X.csv.

Run once (needs ``pip install pyneb``; PyNeb is *not* a runtime dependency of maxent):

    python3 scripts/extract_nist_levels.py

PyNeb ships the NIST Atomic Spectra Database level tables as
``pyneb/atomic_data/levels/<el>_i_levels.dat`` (columns: configuration | term | J |
level energy in cm-1 | reference).  Each output row is one level with
``g = 2J + 1``; a row listing several J values at one energy ("7/2,9/2") gets the sum
of their 2J + 1.  For hydrogen, NIST lists the n >= 2 shells as single levels with all
l and J merged, and PyNeb writes J = 0 there: such a shell gets its statistical weight
``g = 2 n^2``.  Energies in brackets (NIST: not from observed lines) and with a
trailing "?" (questionable) are kept as numbers; the flag is kept in the ``flag`` column.
"""

from __future__ import annotations

import csv
import sys
from fractions import Fraction
from pathlib import Path

ATOMS = {"H": "h", "C": "c", "O": "o", "Na": "na", "Fe": "fe"}
OUT_DIR = Path(__file__).resolve().parent.parent / "maxent" / "data"


def parse(path: Path, symbol: str) -> list[dict[str, str]]:
    rows = []
    config = term = ""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 4:
            continue
        if cells[0]:
            config = cells[0]
        if cells[1] or cells[0]:
            term = cells[1]
        j_text, e_text = cells[2], cells[3]
        if not e_text:
            continue
        flag = ""
        if e_text.startswith("["):
            flag += "theoretical;"
        if "?" in e_text:
            flag += "questionable;"
        energy = float(e_text.strip("[]()?+x "))
        if symbol == "H" and not term:
            n = int(config)
            j_field, g = "", 2 * n * n
        else:
            js = [Fraction(j) for j in j_text.replace(" ", "").split(",") if j]
            if not js:
                raise ValueError(f"{path}: no J for level at {e_text}")
            g = int(sum(2 * j + 1 for j in js))
            j_field = ",".join(str(j) for j in js)
        shell = f"n={config}" if symbol == "H" and not term else config
        label = " ".join(s for s in (shell, term, j_field and f"J={j_field}") if s)
        rows.append(
            {
                "energy": repr(energy),
                "J": j_field,
                "g": str(g),
                "label": label,
                "flag": flag.rstrip(";"),
            }
        )
    rows.sort(key=lambda r: float(r["energy"]))
    return rows


def main() -> int:
    import pyneb

    level_dir = Path(pyneb.__file__).parent / "atomic_data" / "levels"
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for symbol, stem in ATOMS.items():
        src = level_dir / f"{stem}_i_levels.dat"
        rows = parse(src, symbol)
        out = OUT_DIR / f"levels_{symbol}.csv"
        with out.open("w", newline="", encoding="utf-8") as fh:
            fh.write(f"# name: {symbol} I (neutral {symbol}), NIST ASD levels\n")
            fh.write("# unit: cm-1\n")
            fh.write(
                f"# source: NIST Atomic Spectra Database, via PyNeb {pyneb.__version__} "
                f"file atomic_data/levels/{src.name}\n"
            )
            fh.write("# licence: public domain (NIST Standard Reference Data, US Government)\n")
            fh.write("# g = 2J + 1 (summed over J values listed together; H shells: 2 n^2)\n")
            writer = csv.DictWriter(
                fh, fieldnames=["energy", "J", "g", "label", "flag"], lineterminator="\n"
            )
            writer.writeheader()
            writer.writerows(rows)
        print(
            f"{out.relative_to(OUT_DIR.parent.parent)}: {len(rows)} levels, "
            f"E up to {float(rows[-1]['energy']):.1f} cm-1"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
