"""A visit record as Markdown and as a printable HTML page, laid out from its view (view.py)."""

from __future__ import annotations

import html

from fieldkit.lang import Lang
from fieldkit.records.models import VisitRecord
from fieldkit.records.view import (
    STEP_STATES,
    PingAttemptView,
    StepView,
    VisitView,
    visit_view,
)

# -- Markdown ---------------------------------------------------------------------------------


def render_markdown(record: VisitRecord, lang: Lang) -> str:
    view = visit_view(record, lang)
    out = [f"# {_md_escaped(view.title)}", ""]
    out += [f"- **{_md_escaped(label)}**: {_md_escaped(value)}" for _, label, value in view.fields]
    out.append("")
    for step in view.steps:
        heading = f"{step.number}. {_md_escaped(step.title)} `{step.step_id}` - {step.state_label}"
        out.append(f"## {heading}")
        out.append("")
        out += [
            f"{'    ' * level}- {_md_escaped(line)}" for level, line in detail_lines(view, step)
        ]
        out.append("")
    return "\n".join(out)


def detail_lines(view: VisitView, step: StepView) -> list[tuple[int, str]]:
    """A step's details as plain text lines with their nesting level, for text and Markdown."""
    lines: list[tuple[int, str]] = []
    if step.value:
        lines.append((0, f"{view.label('answer')}: {step.value}"))
    if step.answered_at:
        lines.append((0, f"{view.label('answered_at')}: {step.answered_at}"))
    if step.skip_reason:
        lines.append((0, f"{STEP_STATES['skipped'].get(view.lang)}: {step.skip_reason}"))
    if step.warning:
        lines.append((0, f"{view.label('warning')}: {step.warning}"))
    lines += [(0, f"{view.label('notes')} ({when}): {text}") for when, text in step.notes]
    lines += [
        (0, f"{view.label('attachments')}: {a.stored_path} ({a.size} B, sha256 {a.sha256})")
        for a in step.attachments
    ]
    lines += [
        (0, f"{view.label('check_attempt').format(n=n)} ({when}): {value}")
        for n, when, value in step.checks
    ]
    for ping in step.pings:
        lines += _ping_lines(view, ping)
    for old in step.history:
        used = f" ({view.label('computed_from')} {old.inputs})" if old.inputs else ""
        lines.append((0, f"{view.label('superseded')} ({old.when}): {old.value}{used}"))
        lines.append((1, old.reason))
        for ping in old.pings:
            attempt = view.label("attempt").format(n=ping.number)
            lines.append((1, f"{attempt}: {ping.title} ({ping.verdict}), {ping.target}"))
    return lines


def _ping_lines(view: VisitView, ping: PingAttemptView) -> list[tuple[int, str]]:
    attempt = view.label("attempt").format(n=ping.number)
    lines: list[tuple[int, str]] = [(0, f"{attempt}: {ping.title} ({ping.verdict}), {ping.target}")]
    if ping.seed_outcome:
        lines.append((1, ping.seed_outcome))
    lines += [(1, f"{view.label('preflight')}: {finding}") for finding in ping.preflight]
    lines += [(1, reply) for reply in ping.replies]
    if ping.statistics:
        lines.append((1, f"{view.label('statistics')}: {ping.statistics}"))
    if ping.meaning:
        lines.append((1, f"{view.label('meaning')}: {ping.meaning}"))
    lines += [(1, f"{view.label('next_checks')}: {check}") for check in ping.next_checks]
    return lines


def _md_escaped(text: str) -> str:
    """Keep Markdown (and HTML inside it) from reading entered text as markup."""
    escaped = html.escape(text, quote=False)
    for char in "\\`*_[]#|":
        escaped = escaped.replace(char, "\\" + char)
    return escaped.replace("\n", " ")


# -- HTML -------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#111}
h1{font-size:1.4em}h2{font-size:1.1em;margin:1.4em 0 .3em}
table{border-collapse:collapse;width:100%;margin:.4em 0}
th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f0f0f0;width:12em}
.passed{color:#176d2c}.failed{color:#b00020;font-weight:bold}.finding{color:#8a5a00}.skipped,.open{color:#666}
.changed{color:#b00020;font-weight:bold}.mono{font-family:ui-monospace,Consolas,monospace}
.step{page-break-inside:avoid;border-top:2px solid #888;margin-top:1em}
ul{margin:.2em 0}.sub{display:inline-block;margin-left:1.5em;font-size:.95em}
@page{size:A4;margin:15mm}
@media print{body{margin:0}}
"""


def render_html(record: VisitRecord, lang: Lang) -> str:
    """One self-contained printable page: inline CSS, no scripts, no external references."""
    view = visit_view(record, lang)
    changed = ' class="changed"' if view.digest_state == "changed" else ""
    rows = "".join(
        f"<tr><th>{_escaped(label)}</th>"
        f"<td{changed if key == 'digest' else ''}>{_escaped(value)}</td></tr>"
        for key, label, value in view.fields
    )
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_escaped(view.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_escaped(view.title)}</h1>",
        f"<table>{rows}</table>",
    ]
    for step in view.steps:
        parts.append(_html_step(view, step))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_step(view: VisitView, step: StepView) -> str:
    items: list[str] = []
    for level, line in detail_lines(view, step):
        if level == 0:
            items.append(f"<li>{_escaped(line)}")
        else:  # a nested line belongs to the last top-level item
            items[-1] += f'<br><span class="sub">{_escaped(line)}</span>'
    details = "<ul>" + "".join(f"{item}</li>" for item in items) + "</ul>" if items else ""
    return (
        f'<div class="step"><h2>{step.number}. {_escaped(step.title)} '
        f'<span class="mono">{_escaped(step.step_id)}</span> '
        f'<span class="{step.state}">{_escaped(step.state_label)}</span></h2>{details}</div>'
    )


def _escaped(text: str) -> str:
    """`text` safe inside HTML elements and attribute values."""
    return html.escape(text, quote=True)
