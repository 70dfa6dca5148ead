#!/bin/sh
# Install fieldkit from this folder without any network: Linux and macOS.
#   sh install.sh [VENV]     (default VENV: ~/.local/share/fieldkit/venv)
# Needs Python 3.10 to 3.13 (python3, or the one named by PYTHON=...).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
venv=${1:-"$HOME/.local/share/fieldkit/venv"}

if ! "$python" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null
then
    echo "fieldkit needs Python 3.10 to 3.13; '$python' is not one (set PYTHON=/path/to/python3.12)" >&2
    exit 1
fi
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade --no-index --find-links "$here/wheels" fieldkit
"$venv/bin/fieldkit" --version
echo "fieldkit is installed: $venv/bin/fieldkit"
echo "Put it on the PATH, e.g.: ln -s \"$venv/bin/fieldkit\" ~/.local/bin/fieldkit"
