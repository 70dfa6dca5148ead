"""Follow-up items: their stable ids, closures (small records of their own) and listing.

Nothing here prints or prompts; fieldkit/cli/followups.py and fieldkit/ui/followups.py do.
docs/followups.md describes the ids, the closure files and how reports show them.
"""
