"""Entry point of the `fieldkit` command and of `python -m fieldkit`."""

from __future__ import annotations

import sys


def main() -> None:
    argv = sys.argv[1:]
    if argv == ["--version"]:
        # Scripts and support calls ask this often; answer before building the whole CLI.
        from fieldkit import version_line

        sys.stdout.write(version_line() + "\n")
        return
    from fieldkit.cli.app import run_app

    run_app(argv)


if __name__ == "__main__":
    main()
