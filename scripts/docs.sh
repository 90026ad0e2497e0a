#!/usr/bin/env bash
# Build the API reference (Sphinx autodoc, docs/conf.py) into docs/_build/html,
# every Sphinx warning an error.  Needs the package importable with the
# optional dependencies that smartrest.mqtt, smartrest.arrow and smartrest.dask
# import (the 'test' extra has them); installs Sphinx and myst-parser (for the
# Markdown documents) when they are missing, and the package with its 'docs'
# extra only when it does not import at all.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python -c "import paho.mqtt, pyarrow, dask.dataframe, smartrest" 2>/dev/null; then
  pip install -q -e '.[docs]'
elif ! python -c "import sphinx, myst_parser" 2>/dev/null; then
  pip install -q 'sphinx>=7' 'myst-parser>=2'
fi
python -m sphinx -W --keep-going -b html docs docs/_build/html
echo "API reference: docs/_build/html/index.html"
