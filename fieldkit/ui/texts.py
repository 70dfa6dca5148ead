"""Every sentence the walkthrough screens say, in Chinese and English."""

from __future__ import annotations

from typing import Any

from fieldkit.lang import Lang

_TEXTS: dict[str, tuple[str, str]] = {
    # the step screen
    "step_of": ("第 {n} 步，共 {total} 步", "step {n} of {total}"),
    "lights": ("应看到的指示灯", "Lights to expect"),
    "optional": ("（可跳过）", "(optional)"),
    "commands": (
        "命令：返回（上一步） · 跳过 · 备注 文字 · 附件 路径 · 帮助 · 退出（保存并退出）；"
        "英文 back skip note attach help quit 亦可；\\跳过 表示回答就是“跳过”二字",
        "Commands: back (previous step) · skip · note TEXT · attach PATH · help · "
        "quit (save and leave); or 返回 跳过 备注 附件 帮助 退出; \\skip answers the word skip",
    ),
    "revisit": ("当前回答：{value}（直接回车保留）", "Current answer: {value} (Enter keeps it)"),
    "revisit_ping": (
        "上次结果：ping {target} 为 {verdict}（回车将重新 ping）",
        "Last result: {verdict} pinging {target} (Enter pings again)",
    ),
    "asked_again": ("需重做：{reason}", "Asked again: {reason}"),
    # prompts by step type
    "ask_instruction": ("完成了吗？（是/否，y/n）", "Done? (y/n)"),
    "ask_check": ("是否正常？（是/否，y/n）", "Yes or no? (y/n)"),
    "ask_text": ("请输入", "Type it"),
    "ask_number": ("请输入数值{unit}{band}", "Type the reading{unit}{band}"),
    "ask_ipv4": ("IPv4 地址（例如 192.168.1.10）", "IPv4 address (e.g. 192.168.1.10)"),
    "ask_netmask": (
        "子网掩码（例如 255.255.255.0 或 /24）",
        "Subnet mask (e.g. 255.255.255.0 or /24)",
    ),
    "ask_choice": ("输入序号或值", "Type a number or a value"),
    "ask_multi_choice": (
        "输入一个或多个序号，用逗号分隔",
        "Type one or more numbers, comma separated",
    ),
    "ask_date": (
        "日期（如 2024-05-01、5月1日、今天）",
        "Date (e.g. 2024-05-01, 2024/5/1, today, yesterday)",
    ),
    "ask_datetime": (
        "日期时间（如 2024-05-01 14:30、9:30、昨天 18:00、现在）",
        "Date and time (e.g. 2024-05-01 14:30, 9:30, now)",
    ),
    "ask_serial": ("序列号（格式 {pattern}）", "Serial number (pattern {pattern})"),
    "ask_serial_help": ("请输入（{format}）", "Type it ({format})"),
    "ask_tools": (
        "未带齐的工具序号，用逗号分隔；全部带齐请输入 none",
        "Numbers of the tools NOT packed, comma separated; none if all are packed",
    ),
    "ask_attachment": ("文件路径{accept}", "File path{accept}"),
    "ask_signature": ("签字人姓名", "Name of the person signing"),
    "ask_followup": (
        "跟进事项 {n}：问题 ; 负责人 ; 期限（如 2024-06-01 或 6月1日），空行结束",
        "Follow-up {n}: problem ; owner ; due (e.g. 2024-06-01), empty line to finish",
    ),
    "followup_format": (
        "请按 问题 ; 负责人 ; 期限 的格式输入",
        "write it as problem ; owner ; due",
    ),
    "attach_usage": ("用法：附件 文件路径", "usage: attach PATH"),
    "note_usage": ("用法：备注 文字", "usage: note TEXT"),
    "reason_not_command": (
        "请写跳过的原因（不是命令）",
        "give the reason for skipping (not a command)",
    ),
    "followup_not_command": (
        "这里写跟进事项，或空行结束（命令请在上一步的提示处输入）",
        "type a follow-up, or an empty line to finish (commands work at the step prompt)",
    ),
    "followup_due": (
        "期限不是日期：{due}（例如 2024-06-01、6月1日），请重新输入这一项",
        "the due date is not a date: {due} (e.g. 2024-06-01); type this item again",
    ),
    "followup_kept": ("✓ 第 {n} 项，期限 {due}", "✓ item {n}, due {due}"),
    "read_as": ("即 {value}", "read as {value}"),
    "ask_skip_reason": ("跳过的原因", "Reason for skipping"),
    "ask_ping": (
        "按回车开始 ping {target}（或输入命令）",
        "Press Enter to ping {target} (or type a command)",
    ),
    "ask_ping_failed": (
        "k 快速重测（约 1 秒，如重新插拔接头后） · r 完整重测 · f 记为未通过并继续 · "
        "q 退出，稍后继续",
        "k quick re-test (about 1 s, e.g. after re-seating a connector) · r full re-test · "
        "f record as failed and go on · q quit, resume later",
    ),
    # answers
    "saved": ("✓ 已保存", "✓ saved"),
    "saved_warning": ("⚠ 已保存，但：{reason}", "⚠ saved, but: {reason}"),
    "saved_failed": ("✗ 已保存为未通过：{reason}", "✗ saved as failed: {reason}"),
    "check_failed": ("✗ 未通过：{reason}", "✗ not passed: {reason}"),
    "check_failed_earlier": (
        "上次检查未通过（{at}）：{reason}", "Last checked {at}: not passed. {reason}"
    ),
    "ask_check_failed": (
        "r 重新检查 · f 记为未通过并继续 · q 退出，稍后继续",
        "r check again · f record as failed and go on · q quit, resume later",
    ),
    "ask_check_failed_ends": (
        "r 重新检查 · e 结束走访 · q 退出，稍后继续",
        "r check again · e end the visit · q quit, resume later",
    ),
    "confirm_end_visit": (
        "确认在此结束走访？之后的步骤将记为跳过 (y/N)",
        "End the visit here? The steps after this one are recorded as skipped (y/N)",
    ),
    "check_recorded_failed": ("✗ 已记为未通过", "✗ recorded as failed"),
    "visit_ended": ("走访在此结束", "The visit ends here"),
    "kept": ("✓ 保留原回答", "✓ kept"),
    "refused": ("✗ {reason}，请重新输入", "✗ {reason}; try again"),
    "note_saved": ("✓ 备注已保存", "✓ note saved"),
    "attached": ("✓ 已附加 {name}（sha256 {digest}…）", "✓ attached {name} (sha256 {digest}…)"),
    "skipped_by_engineer": ("已跳过：{reason}", "skipped: {reason}"),
    "skipped_auto": ("跳过 {title}：{reason}", "skipped {title}: {reason}"),
    "redo": (
        "↻ {title} 需要重做，原结果已不成立（{reason}），保留在记录中",
        "↻ {title} must be done again: its result no longer counts ({reason}); "
        "it stays in the record as history",
    ),
    "save_failed": ("✗ 未能保存：{error}", "✗ not saved: {error}"),
    # ping
    "ping_start": ("ping {target}，共 {count} 次", "pinging {target}, {count} echoes"),
    "ping_start_quick": (
        "快速重测 {target}：{count} 次，间隔 0.2 秒，结论确定即停",
        "quick re-test of {target}: {count} echoes 0.2 s apart, stopping once the verdict "
        "is certain",
    ),
    "preflight": ("预检", "Pre-flight"),
    # visit fields
    "ask_customer": ("客户名称", "Customer"),
    "ask_site": ("地址/站点（可留空）", "Site or address (Enter to leave empty)"),
    "ask_order": ("工单号（可留空）", "Order number (Enter to leave empty)"),
    "ask_order_type": (
        "工单类型：输入序号（可留空）",
        "Order type: its number (Enter to leave empty)",
    ),
    "ask_grade": (
        "客户等级：输入序号（可留空）",
        "Customer grade: its number (Enter to leave empty)",
    ),
    "ask_engineer": ("工程师姓名", "Engineer's name"),
    "field_engineer": ("工程师姓名", "engineer"),
    "field_customer": ("客户名称", "customer"),
    "field_site": ("地址/站点", "site"),
    "field_order": ("工单号", "order"),
    "field_order_type": ("工单类型", "order type"),
    "field_grade": ("客户等级", "customer grade"),
    "why_engineer": (
        "需要工程师姓名：记录和报表按它写明是谁做的"
        "（可在配置文件中写 engineer: 姓名，以后不再询问）",
        "the engineer's name is needed: the record and the reports say who did the work "
        "(put `engineer: NAME` in the config file and it is not asked again)",
    ),
    "why_customer": (
        "需要客户名称：记录按客户查找、继续和汇总",
        "the customer is needed: records are found, resumed and reported by customer",
    ),
    "field_commands": (
        "这里可用：返回（上一项）、跳过（留空）、退出",
        "here: back (the question before), skip (leave it empty), quit",
    ),
    "not_a_choice": ("不是可选项", "not one of the choices"),
    # starting and leaving
    "stopped_before_the_walk": (
        "开始第一步之前已退出：没有记录任何内容",
        "stopped before the walk began: nothing was recorded",
    ),
    "in_progress_found": (
        "客户 {customer} 的 {checklist} 走访 {visit} 尚未完成"
        "（开始于 {started}，已完成 {done}/{total} 步）。",
        "Visit {visit} of {checklist} for {customer} is still in progress "
        "(started {started}, {done} of {total} steps done).",
    ),
    "started_anew": (
        "已开始新的走访；继续那次走访：fieldkit resume {visit}",
        "Starting a new visit; `fieldkit resume {visit}` continues it.",
    ),
    "ask_resume": ("继续这次走访吗？(Y/n)", "Resume it? (Y/n)"),
    "ask_which": ("继续哪一次走访？输入序号", "Which visit to resume? Type its number"),
    "in_progress_title": ("进行中的走访", "Visits in progress"),
    "resuming": ("继续走访 {visit}", "Resuming visit {visit}"),
    "quit": (
        # The command on a line of its own: copied whole, never broken at the id.
        "已保存。走访 {visit} 仍在进行中。继续：\n  fieldkit resume {visit}",
        "Saved. Visit {visit} is still in progress. Continue with:\n  fieldkit resume {visit}",
    ),
    # the end
    # one per outcome (fieldkit/walk/outcome.py)
    "summary_passed": ("走访完成：通过", "Visit completed: passed"),
    "summary_failed": ("走访完成：有未通过的步骤", "Visit completed with failures"),
    "summary_restored": ("走访完成：故障已修复", "Visit completed: service restored"),
    "summary_not_restored": ("走访完成：故障未修复", "Visit completed: service NOT restored"),
    "summary_completed": ("走访完成", "Visit completed"),
    "summary_not_completed": (
        "走访结束：检查未通过，未能完成", "Visit ended: a failed check stopped it before the end"
    ),
    "col_step": ("步骤", "Step"),
    "col_answer": ("回答", "Answer"),
    "col_result": ("结果", "Result"),
    "counts": (
        "通过 {passed} 步，已记录 {recorded} 步，未通过 {failed} 步，跳过 {skipped} 步",
        "{passed} passed, {recorded} recorded, {failed} failed, {skipped} skipped",
    ),
    "failed_steps": ("未通过的步骤：{steps}", "Failed steps: {steps}"),
    "findings": ("发现的问题（{n}）：{steps}", "Findings ({n}): {steps}"),
    "ping_summary": (
        "ping 结论：{verdict}（测试次数：{attempts}）",
        "Ping verdict: {verdict} (attempts: {attempts})",
    ),
    "duration": ("用时：{duration}", "Duration: {duration}"),
    "record_path": ("记录文件：{path}", "Record: {path}"),
    "show_command": ("查看：{command}", "Show it: {command}"),
    "bundle_command": ("打包交给主管：{command}", "Bundle it for a supervisor: {command}"),
    "demo_records": ("演示记录保存在 {folder}", "Demo records go to {folder}"),
    "demo_report": ("演示走访的汇总报表：{command}", "A report of the demo visits: {command}"),
    "demo_loopback": (
        "演示 ping 的是本机回环地址 {gateway}（不是真实网关）："
        "它只演示 ping 步骤，不测试任何线路。",
        "The demo pings {gateway}, this laptop's loopback (no real gateway): it shows the ping "
        "step and tests no line.",
    ),
}


def say(key: str, lang: Lang, **values: Any) -> str:
    """The sentence `key` in `lang`, with its {placeholders} filled."""
    zh, en = _TEXTS[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text
