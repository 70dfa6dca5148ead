"""Shared fixtures: `netlab`, the network-namespace lab of tests/netlab.py; `pg_cluster` and
`database_url`, the server's databases (tests/pgcluster.py)."""

from netlab import netlab
from pgcluster import database_url, pg_cluster

__all__ = ["database_url", "netlab", "pg_cluster"]
