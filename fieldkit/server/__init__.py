"""The centre's store: `fieldkit server` (the optional extra `fieldkit[server]`).

Only `fieldkit server ...` imports this package; nothing on the laptop depends on it
(fieldkit/sync/ talks to it over HTTP). docs/server.md is the administrator's page.
"""
