"""Every Python code block of README.md and of the documentation runs as written.

Blocks are taken from ```` ```python ```` fences in Markdown files, ``.. code-block::
python`` directives in reStructuredText files, and whole files for the sphinx-gallery
scripts of the user guide and the gallery.  Each runs in a fresh namespace in a temporary
directory (so files they write go there) with matplotlib's Agg backend; warnings are
errors, as everywhere in the suite.  A block that imports an optional extra that is not
installed (dask, distributed, scikit-learn) is skipped, naming the extra.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GALLERY_DIRS = ("guide_src", "gallery_src")  # sphinx-gallery sources (see docs/conf.py)
OPTIONAL = {"dask": "dask", "distributed": "dask", "sklearn": "fit"}  # module -> extra

_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\. code-block:: python[ \t]*\n", re.M)


def markdown_blocks(text: str) -> list[tuple[int, str]]:
    """(first line, code) of each ```` ```python ```` block."""
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in _FENCE.finditer(text)]


def rst_blocks(text: str) -> list[tuple[int, str]]:
    """(first line, code) of each ``.. code-block:: python`` directive's body."""
    lines = text.splitlines()
    out = []
    for m in _DIRECTIVE.finditer(text):
        indent = len(m.group("indent"))
        i = text.count("\n", 0, m.end())  # index of the first line after the directive
        while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith(":")):
            i += 1  # blank lines and options
        start, body = i, []
        while i < len(lines) and (
            not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent
        ):
            body.append(lines[i])
            i += 1
        out.append((start + 1, textwrap.dedent("\n".join(body)).strip() + "\n"))
    return out


def collect() -> list[tuple[str, str]]:
    """(id, code) of every block to run, in a stable order."""
    found = []
    files = [ROOT / "README.md", *sorted(DOCS.rglob("*.md")), *sorted(DOCS.rglob("*.rst"))]
    for path in files:
        if "_build" in path.parts or any(
            part.startswith(("auto_", "generated")) for part in path.relative_to(ROOT).parts
        ):
            continue
        text = path.read_text(encoding="utf-8")
        blocks = markdown_blocks(text) if path.suffix == ".md" else rst_blocks(text)
        rel = path.relative_to(ROOT).as_posix()
        found += [(f"{rel}:{line}", code) for line, code in blocks]
    for sub in GALLERY_DIRS:
        for path in sorted((DOCS / sub).glob("*.py")):
            found.append((path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")))
    return found


BLOCKS = collect()


def test_blocks_are_found() -> None:
    ids = [block_id for block_id, _ in BLOCKS]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert sum(i.startswith("README.md:") for i in ids) == readme.count("```python")
    assert any(i.startswith("docs/guide_src/") for i in ids)
    assert any(i.startswith("docs/gallery_src/") for i in ids)


def test_rst_extraction() -> None:
    text = "Intro\n\n.. code-block:: python\n   :caption: x\n\n   a = 1\n\n   b = a + 1\n\nafter\n"
    assert rst_blocks(text) == [(6, "a = 1\n\nb = a + 1\n")]


@pytest.mark.parametrize("code", [c for _, c in BLOCKS], ids=[i for i, _ in BLOCKS])
def test_block_runs(code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__main__", "__file__": str(tmp_path / "block.py")}
    try:
        exec(compile(code, "<code block>", "exec"), namespace)
    except ModuleNotFoundError as exc:
        root = (exc.name or "").split(".")[0]
        if root not in OPTIONAL:
            raise
        pytest.skip(f'needs {root!r}: python3 -m pip install -e ".[{OPTIONAL[root]}]"')
    finally:
        plt.close("all")


def test_readme_blocks_type_check(tmp_path: Path) -> None:
    """The README's calls are accepted by mypy against the package's own annotations."""
    api = pytest.importorskip("mypy.api")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    parts = []
    for k, (line, code) in enumerate(markdown_blocks(readme)):
        parts.append(f"def block_{k}_line_{line}() -> None:\n" + textwrap.indent(code, "    "))
    module = tmp_path / "readme_blocks.py"
    module.write_text("\n\n".join(parts), encoding="utf-8")
    out, err, status = api.run(
        [
            str(module),
            "--python-version",
            "3.10",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
        ]
    )
    assert status == 0, out + err
