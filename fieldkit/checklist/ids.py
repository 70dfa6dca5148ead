"""The id formats of the language, kept free of pydantic so the cheap listing can use them."""

STEP_ID_PATTERN = r"^[a-z][a-z0-9_]*$"
CHECKLIST_ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
