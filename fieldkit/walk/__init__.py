"""The walkthrough: a checklist walked step by step into a visit record, with no terminal I/O.

`machine.Walkthrough` takes events and saves every confirmed answer before it returns;
`visit` starts and resumes walks; `answers_file` drives a walk from a YAML or JSON file.
"""
