"""Sphinx configuration of the smartrest API reference.

Build it with ``bash scripts/docs.sh`` (warnings are errors).
"""

from __future__ import annotations

# The installed package (scripts/docs.sh installs this tree editable).
import smartrest

project = "smartrest"
author = "smartrest developers"
copyright = "smartrest developers"
version = release = smartrest.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    # The Markdown documents of docs/ (dialect.md, architecture.md, arrow.md).
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
myst_heading_anchors = 3

exclude_patterns = ["_build"]
root_doc = "index"

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "alabaster"
html_title = f"smartrest {release}"
