"""Sphinx configuration for the maxent documentation.

Build (from the repository root, after ``python3 -m pip install -e ".[docs]"``)::

    python -m sphinx -W -b html docs docs/_build/html

The user guide (``guide_src/``) and the gallery (``gallery_src/``) are sphinx-gallery
scripts, executed at every build; their output and figures appear in the pages.  The API
reference is generated from ``maxent.__all__`` and the ``__all__`` of the public
submodules (see ``_write_api_list`` below), so new public functions appear without
editing the docs.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # document this checkout's maxent
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("MAXENT_PROGRESS", "0")

import maxent  # noqa: E402

project = "maxent"
author = "maxent developers"
copyright = "2026, maxent developers"  # noqa: A001
version = release = maxent.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

exclude_patterns = ["_build", "**.ipynb_checkpoints", "guide_src", "gallery_src"]
templates_path = ["_templates"]
html_theme = "furo"
html_title = f"maxent {release}"
html_static_path: list[str] = []
pygments_style = "sphinx"

# --- API reference: autosummary + numpydoc, robust to new docstrings --------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"  # the numpydoc sections give the types
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()
numpydoc_attributes_as_param_list = True

# --- sphinx-gallery: the user guide and the gallery of the scripts' figures -------------
sphinx_gallery_conf = {
    "examples_dirs": ["guide_src", "gallery_src"],
    "gallery_dirs": ["guide", "gallery"],
    "filename_pattern": r".*\.py$",  # execute every script
    "within_subsection_order": "FileNameSortKey",  # a string keeps the config picklable
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "image_scrapers": ("matplotlib",),
    "capture_repr": ("_repr_html_", "__repr__"),
    "min_reported_time": 1e9,  # no timing lines in the pages
    "write_computation_times": False,
    "show_signature": False,
    "reset_modules": ("matplotlib",),
}


# --- the list of public names the API page shows -----------------------------------------
_API_INTRO = r"""API reference
=============

Generated from the docstrings.  Everything listed under :mod:`maxent` is importable from
the package itself (``from maxent import solve``); the other sections are the public
names of submodules (``maxent.models.ising_2d``, ``maxent.streaming.generated_features``,
...), each documented once.  Conventions shared by all of them (sign of
:math:`\lambda`, :math:`k_B = 1`, the two normalisations of :math:`\log Z`, units) are
on the :doc:`../conventions` page.

"""


def _public_submodules() -> list[str]:
    """Non-underscore submodules of maxent, sorted (new modules are picked up)."""
    return sorted(
        m.name for m in pkgutil.iter_modules(maxent.__path__) if not m.name.startswith("_")
    )


def _write_api_list() -> None:
    """Write ``api/index.rst``: autosummary tables of every public name, once each."""
    seen: dict[int, str] = {}
    top = [n for n in maxent.__all__ if n not in ("__version__",)]
    modules = [n for n in top if n in _public_submodules()]
    kinds: dict[str, list[str]] = {
        "Functions": [],
        "Data and models": [],
        "Results": [],
        "Errors and warnings": [],
    }
    for name in top:
        if name in modules:
            continue
        obj = getattr(maxent, name)
        seen[id(obj)] = f"maxent.{name}"
        if isinstance(obj, type) and issubclass(obj, (Exception, Warning)):
            kinds["Errors and warnings"].append(name)
        elif isinstance(obj, type) and name.endswith("Result"):
            kinds["Results"].append(name)
        elif isinstance(obj, type):
            kinds["Data and models"].append(name)
        else:
            kinds["Functions"].append(name)
    out = [".. This file is written by docs/conf.py at every build; do not edit.", ""]
    out += [_API_INTRO, ".. currentmodule:: maxent", ""]
    for title, names in kinds.items():
        if not names:
            continue
        out += [
            title,
            "-" * len(title),
            "",
            ".. autosummary::",
            "   :toctree: generated/",
            "   :nosignatures:",
            "",
        ]
        out += [f"   {n}" for n in sorted(names)] + [""]
    for sub in _public_submodules():
        mod = importlib.import_module(f"maxent.{sub}")
        names = []
        for n in getattr(mod, "__all__", []):
            obj = getattr(mod, n, None)
            if (
                obj is None
                or id(obj) in seen
                or getattr(obj, "__module__", "").split(".")[0] not in ("maxent", "")
            ):
                continue
            seen[id(obj)] = f"maxent.{sub}.{n}"
            names.append(n)
        if not names:
            continue
        title = f"``maxent.{sub}``"
        out += [title, "-" * len(title), ""]
        doc = (mod.__doc__ or "").strip().splitlines()
        if doc:
            out += [doc[0], ""]
        out += [
            f".. currentmodule:: maxent.{sub}",
            "",
            ".. autosummary::",
            "   :toctree: generated/",
            "   :nosignatures:",
            "",
        ]
        out += [f"   {n}" for n in sorted(names)] + [""]
    target = HERE / "api" / "index.rst"
    target.parent.mkdir(exist_ok=True)
    text = "\n".join(out)
    if not target.exists() or target.read_text() != text:
        target.write_text(text)


_write_api_list()
