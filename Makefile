# Two targets do all the set-up on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
INSTALLED := $(VENV)/.installed

.PHONY: demo test lint offline

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -e '.[dev,server]'
	touch $(INSTALLED)

demo: $(INSTALLED)
	$(VENV)/bin/fieldkit demo

test: $(INSTALLED)
	$(VENV)/bin/pytest

lint: $(INSTALLED)
	$(VENV)/bin/ruff check
	$(VENV)/bin/mypy fieldkit

# dist/fieldkit-offline-<version>.zip: wheels for Windows, macOS and Linux and install scripts,
# for laptops with no internet at the customer site (downloads from PyPI; see docs/install.md).
offline: $(INSTALLED)
	$(VENV)/bin/python tools/offline_bundle.py --out dist
