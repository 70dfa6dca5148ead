"""Entry point of the `fieldkit` command and of `python -m fieldkit`."""

from __future__ import annotations

import sys


def main() -> None:
    from fieldkit.cli.app import run_app

    run_app(sys.argv[1:])


if __name__ == "__main__":
    main()
