"""fieldkit: checklists, gateway ping tests and visit records for telecom field engineers."""

__version__ = "0.1.0"
