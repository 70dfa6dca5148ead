"""Headings and KPI names shown to people in the terminal summary, HTML and XLSX, zh and en."""

from __future__ import annotations

from fieldkit.lang import Lang
from fieldkit.text import Text

LABELS: dict[str, Text] = {
    "report": Text(zh="fieldkit 上门服务报表", en="fieldkit visit report"),
    "report_date": Text(zh="报表日期", en="Report date"),
    "visits": Text(zh="上门次数", en="Visits"),
    "completed": Text(zh="已完成", en="Completed"),
    "in_progress": Text(zh="进行中", en="In progress"),
    "aborted": Text(zh="已中止", en="Aborted"),
    "passed": Text(zh="通过", en="Passed"),
    "failed": Text(zh="未通过", en="Failed"),
    "first_time_pass": Text(zh="开通一次通过率", en="Turn-up first-time pass"),
    "ping_ok_share": Text(zh="ping 正常占比", en="Ping ok share"),
    "repairs_within": Text(zh="修复及时率", en="Repairs within limit"),
    "mean_repair_hours": Text(zh="障碍处理平均时长(小时)", en="Mean repair time (h)"),
    "open_followups": Text(zh="待跟进问题", en="Open follow-ups"),
    "overdue": Text(zh="已逾期", en="Overdue"),
    "closed": Text(zh="已关闭", en="Closed"),
    "closed_followups": Text(zh="已关闭的跟进问题", en="Closed follow-ups"),
    "by_kind": Text(zh="按类型", en="Visits by kind"),
    "by_checklist": Text(zh="按检查单", en="Visits by checklist"),
    "ping_verdicts": Text(zh="ping 结论分布", en="Ping verdicts"),
    "visits_per_week": Text(zh="每周上门次数", en="Visits per week"),
    "top_failing": Text(zh="最常失败的步骤", en="Top failing steps"),
    "onsite": Text(zh="现场用时(分钟)", en="On-site time (minutes)"),
    "repairs": Text(zh="故障修复时限", en="Repairs against time limits"),
    "windows": Text(zh="故障处理流程时限", en="Fault-process windows"),
    "followups": Text(zh="问题跟进(逾期优先)", en="Follow-ups (overdue first)"),
    "followups_closed": Text(zh="最近关闭的跟进问题", en="Follow-ups closed (latest first)"),
    "engineers": Text(zh="按工程师", en="By engineer"),
    "visit_list": Text(zh="上门记录", en="Visits"),
    "notes": Text(zh="读取说明", en="Reading notes"),
    "filter": Text(zh="筛选…", en="Filter…"),
    "shown_of": Text(zh="显示最新 {shown} 条,共 {total} 条;完整数据见 CSV/XLSX。",
                     en="Showing the newest {shown} of {total}; the CSV/XLSX export has all."),
    "none": Text(zh="无", en="none"),
    "records_read_kept": Text(zh="读取记录 {read} 条 · 采用 {kept} 条",
                              en="{read} records read · {kept} kept"),
    "kpi_turnups_decided": Text(zh="已判定的开通(完成 + 中止)",
                                en="Turn-ups decided (completed + aborted)"),
    "kpi_first_time_pass": Text(zh="开通一次通过", en="First-time pass"),
    "kpi_first_time_pass_rate": Text(zh="开通一次通过率", en="First-time pass rate"),
    "kpi_ping_attempts": Text(zh="ping 次数", en="Ping attempts"),
    "kpi_repairs_completed": Text(zh="已完成的故障修复", en="Repairs completed"),
    "kpi_repairs_within": Text(zh="在等级时限内修复", en="Repairs within grade limit"),
    "kpi_repairs_within_rate": Text(zh="修复及时率", en="Repairs within limit rate"),
    "kpi_mean_repair_hours": Text(zh="障碍处理平均时长(小时)", en="Mean repair hours"),
    "kpi_overdue_followups": Text(zh="已逾期的跟进问题", en="Overdue follow-ups"),
    "kpi_records_read": Text(zh="读取的记录", en="Records read"),
    "kpi_noted": Text(zh="未采用或有说明(见读取说明)", en="Left out or noted (see Notes)"),
    "turnup_on_time": Text(
        zh="开通及时率:记录中没有订单要求完成时间,无法计算。",
        en="Turn-up on-time rate: records hold no order due time, so it is not computed.",
    ),
}


# Column headings of the summary tables (fieldkit.report.tables). The data sheets and CSV
# keep their documented column ids (fieldkit.report.rows) in every language.
COLUMN_LABELS: dict[str, Text] = {
    "checklist": Text(zh="检查单", en="Checklist"),
    "kind": Text(zh="类型", en="Kind"),
    "visits": Text(zh="上门次数", en="Visits"),
    "completed": Text(zh="已完成", en="Completed"),
    "in_progress": Text(zh="进行中", en="In progress"),
    "aborted": Text(zh="已中止", en="Aborted"),
    "median_min": Text(zh="用时中位数(分钟)", en="Median min"),
    "p90_min": Text(zh="用时 P90(分钟)", en="P90 min"),
    "verdict": Text(zh="结论", en="Verdict"),
    "count": Text(zh="次数", en="Count"),
    "share": Text(zh="占比", en="Share"),
    "week": Text(zh="周", en="Week"),
    "step": Text(zh="步骤", en="Step"),
    "title": Text(zh="标题", en="Title"),
    "window": Text(zh="环节", en="Window"),
    "minutes": Text(zh="时限(分钟)", en="Minutes"),
    "measured": Text(zh="已测量", en="Measured"),
    "within": Text(zh="达标", en="Within"),
    "within_rate": Text(zh="达标率", en="Within %"),
    "due": Text(zh="到期日", en="Due"),
    "overdue": Text(zh="已逾期", en="Overdue"),
    "owner": Text(zh="负责人", en="Owner"),
    "problem": Text(zh="问题", en="Problem"),
    "customer": Text(zh="客户", en="Customer"),
    "engineer": Text(zh="工程师", en="Engineer"),
    "visit": Text(zh="上门记录", en="Visit"),
    "item": Text(zh="跟进编号", en="Item"),
    "closed_at": Text(zh="关闭时间", en="Closed at"),
    "closed_by": Text(zh="关闭人", en="Closed by"),
    "closing_note": Text(zh="关闭说明", en="Closing note"),
    "turnups_decided": Text(zh="已判定开通", en="Turn-ups decided"),
    "first_time_pass": Text(zh="一次通过", en="First-time pass"),
    "first_time_pass_rate": Text(zh="一次通过率", en="FTP %"),
    "failed_steps": Text(zh="失败步骤", en="Failed steps"),
    "repairs_measured": Text(zh="已测量修复", en="Repairs measured"),
    "repairs_within": Text(zh="及时修复", en="Repairs within"),
    "note_kind": Text(zh="类别", en="Kind"),
    "where": Text(zh="位置", en="Where"),
    "message": Text(zh="说明", en="Message"),
}


def label(key: str, lang: Lang) -> str:
    return LABELS[key].get(lang)


def column_label(key: str, lang: Lang) -> str:
    return COLUMN_LABELS[key].get(lang)
