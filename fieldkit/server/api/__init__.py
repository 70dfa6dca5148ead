"""One router per resource: visits (with attachments), checklists, reports."""
