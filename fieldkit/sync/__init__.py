"""The laptop's side of the centre's store: `fieldkit login` and `fieldkit sync`.

It talks HTTP to `fieldkit server` with the standard library only, and never imports
fieldkit.server: a laptop needs no server extra. docs/server.md ("The laptop") describes it.
"""
