"""fieldkit: checklists, gateway ping tests and visit records for telecom field engineers."""

__version__ = "0.1.0"


def version_line() -> str:
    return f"fieldkit {__version__}"
