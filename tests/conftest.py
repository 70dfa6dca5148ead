"""Shared fixtures: `netlab`, the network-namespace lab of tests/netlab.py."""

from netlab import netlab

__all__ = ["netlab"]
