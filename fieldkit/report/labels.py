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
    "by_kind": Text(zh="按类型", en="Visits by kind"),
    "by_checklist": Text(zh="按检查单", en="Visits by checklist"),
    "ping_verdicts": Text(zh="ping 结论分布", en="Ping verdicts"),
    "visits_per_week": Text(zh="每周上门次数", en="Visits per week"),
    "top_failing": Text(zh="最常失败的步骤", en="Top failing steps"),
    "onsite": Text(zh="现场用时(分钟)", en="On-site time (minutes)"),
    "repairs": Text(zh="故障修复时限", en="Repairs against time limits"),
    "windows": Text(zh="故障处理流程时限", en="Fault-process windows"),
    "followups": Text(zh="问题跟进(逾期优先)", en="Follow-ups (overdue first)"),
    "engineers": Text(zh="按工程师", en="By engineer"),
    "visit_list": Text(zh="上门记录", en="Visits"),
    "notes": Text(zh="读取说明", en="Reading notes"),
    "filter": Text(zh="筛选…", en="Filter…"),
    "shown_of": Text(zh="显示最新 {shown} 条,共 {total} 条;完整数据见 CSV/XLSX。",
                     en="Showing the newest {shown} of {total}; the CSV/XLSX export has all."),
    "none": Text(zh="无", en="none"),
    "turnup_on_time": Text(
        zh="开通及时率:记录中没有订单要求完成时间,无法计算。",
        en="Turn-up on-time rate: records hold no order due time, so it is not computed.",
    ),
}


def label(key: str, lang: Lang) -> str:
    return LABELS[key].get(lang)
