"""Every text the kiosk shows, Simplified Chinese first, English second.

Screens say ``app.t("take", app.lang)`` in kv (naming ``app.lang`` makes kv redraw on a language
switch); Python code calls ``t(key, lang, **values)``. Keeping all texts here lets a test check that
no key lacks either language, and lets the county fix a wording without touching a screen.
"""
from __future__ import annotations

from ztc.text import Named, Text

LANGS = ("zh", "en")

STRINGS: dict[str, Text] = {
    # shell
    "lang_toggle": Text("English", "中文"),
    "large_on": Text("长者模式", "Large text"),
    "large_off": Text("标准字体", "Normal text"),
    "back": Text("返回", "Back"),
    "home": Text("首页", "Home"),
    "ok": Text("确定", "OK"),
    "cancel": Text("取消", "Cancel"),
    "clear": Text("清除", "Clear"),
    "delete": Text("删除", "Delete"),
    "working": Text("请稍候…", "One moment…"),
    "error_generic": Text("系统出现问题，请联系工作人员", "Something went wrong; please ask the crew"),
    # home (resident)
    "stop_now": Text("当前站点：{stop}", "Now at: {stop}"),
    "theme_now": Text("本场：{theme}", "This session: {theme}"),
    "not_at_stop": Text("车辆行驶中，到站后开始取号", "On the road: numbers are issued at the next stop"),
    "next_visits": Text("后续行程", "Next visits"),
    "today": Text("今天", "today"),
    "tomorrow": Text("明天", "tomorrow"),
    "take": Text("取号", "Take a number"),
    "checkin": Text("预约签到", "Appointment check-in"),
    "rate": Text("评价", "Rate a service"),
    "guide": Text("办事指南", "What can be done here"),
    "waiting_now": Text("当前等候 {n} 人", "{n} people waiting"),
    # take a number
    "choose_service": Text("请选择办理的业务", "Choose a service"),
    "choose_item": Text("请选择具体事项", "Choose the matter"),
    "item_unsure": Text("不确定，到窗口再说", "Not sure, ask at the window"),
    "service_waiting": Text("等候 {n} 人", "{n} waiting"),
    "confirm_title": Text("请确认", "Please confirm"),
    "confirm_ahead": Text("前面还有 {n} 人", "{n} people ahead of you"),
    "confirm_wait": Text("预计等候约 {m} 分钟", "Estimated wait about {m} min"),
    "priority": Text("绿色通道（老人、残疾人、孕妇）", "Priority (elderly, disabled, pregnant)"),
    "confirm_take": Text("确认取号", "Take this number"),
    "your_number": Text("您的号码", "Your number"),
    "printing": Text("正在打印号票…", "Printing your ticket…"),
    "printed": Text("请取走号票，留意叫号", "Please take your ticket and listen for your number"),
    "print_failed": Text("打印失败——您的号码是 {number}，请记住并告诉工作人员",
                         "Printing failed: your number is {number}; please tell the crew"),
    "not_accepting": Text("暂时不能取号", "No numbers can be taken right now"),
    "later_visits": Text("以下行程可以办理：", "These visits offer it:"),
    "no_later_visits": Text("近期行程没有安排该业务，请拨打热线 {hotline}",
                            "No upcoming visit offers it; please call {hotline}"),
    "no_services": Text("本站暂无可办理业务", "No services at this stop"),
    # check-in
    "checkin_code": Text("请输入 6 位预约码", "Enter your 6-digit appointment code"),
    "checkin_phone": Text("请输入手机号后 4 位", "Enter the last 4 digits of your phone"),
    "use_phone": Text("没有预约码？用手机号", "No code? Use your phone number"),
    "use_code": Text("使用预约码", "Use the appointment code"),
    "checkin_service": Text("请选择预约的业务", "Choose the booked service"),
    "checked_in": Text("签到成功", "Checked in"),
    # rating
    "rate_title": Text("请对本次服务评价", "How was the service?"),
    "rate_ticket": Text("请输入您的号码（如 A001）", "Enter your number (e.g. A001)"),
    "rate_reasons": Text("请选择不满意的原因（可多选）", "What went wrong? (choose any)"),
    "rate_submit": Text("提交评价", "Submit"),
    "rate_thanks": Text("感谢您的评价！", "Thank you for your feedback!"),
    "rate_skip": Text("不评价", "Skip"),
    "callback_title": Text("需要工作人员回访吗？", "Would you like a call back?"),
    "callback_ok": Text("同意并留下号码", "Agree and send my number"),
    "callback_no": Text("不需要回访", "No call back"),
    "callback_sent": Text("已记录，工作人员会尽快回访", "Noted: staff will call you back soon"),
    # guide
    "guide_title": Text("本车可办理的业务", "Services on this bus"),
    # suggestions (意见建议): pick-list topics only, no typing on the kiosk
    "suggest": Text("意见建议", "Suggestions"),
    "suggest_title": Text("您希望直通车改进什么？（可多选）", "What should the bus do better? (choose any)"),
    "suggest_send": Text("提交建议", "Send"),
    "suggest_thanks": Text("谢谢您的建议！我们会认真研究。", "Thank you! We will look into it."),
    "suggest_none": Text("请至少选择一项", "Please choose at least one"),
    # 受理 (accepted for processing): the provincial case, on the crew's outcome screen
    "record_case_no": Text("办件编号", "Case no."),
    "record_department": Text("承办部门", "Department"),
    "record_promised": Text("承诺办结（天）", "Promised in (days)"),
    "guide_minutes": Text("约 {m} 分钟", "about {m} min"),
    "guide_offered": Text("本站可办", "offered here"),
    "guide_not_offered": Text("本站不办", "not at this stop"),
    "guide_materials": Text("请携带：", "Bring: "),
    "guide_note": Text("说明：", "Note: "),
    # crew
    "crew_login": Text("工作人员登录", "Crew log-in"),
    "crew_number": Text("工号", "Crew number"),
    "crew_pin": Text("密码", "PIN"),
    "login": Text("登录", "Log in"),
    "logout": Text("退出登录", "Log out"),
    "login_failed": Text("工号或密码错误，还可尝试 {left} 次", "Wrong crew number or PIN; {left} tries left"),
    "locked": Text("登录失败次数过多，请 {m} 分钟后再试", "Too many failed attempts; try again in {m} min"),
    "no_accounts": Text("尚未设置工作人员密码：ztc kiosk --set-pin 工号",
                        "No crew PINs set yet: ztc kiosk --set-pin NUMBER"),
    "choose_window": Text("选择窗口", "Choose the window"),
    "choose_skills": Text("本窗口办理的业务", "Services at this window"),
    "open_window": Text("开窗办理", "Open the window"),
    "window_n": Text("{n} 号窗口", "Window {n}"),
    "call_next": Text("叫号", "Call next"),
    "recall": Text("重呼", "Call again"),
    "no_show": Text("未到", "No-show"),
    "start": Text("开始办理", "Start"),
    "complete": Text("办结", "Complete"),
    "transfer": Text("转办", "Transfer"),
    "pause": Text("暂停", "Pause"),
    "resume": Text("恢复", "Resume"),
    "paused": Text("窗口已暂停", "Window paused"),
    "nobody_waiting": Text("没有等候的人", "Nobody waiting"),
    "current_ticket": Text("当前：{number}（{state}）", "Now: {number} ({state})"),
    "no_current": Text("当前没有在办的号", "No ticket at this window"),
    "tab_queue": Text("队列", "Queue"),
    "tab_devices": Text("设备", "Devices"),
    "tab_visit": Text("到站", "Stop"),
    "tab_summary": Text("汇总", "Summary"),
    "record_item": Text("办理事项", "Service item"),
    "record_outcome": Text("办理结果", "Outcome"),
    "record_ems": Text("EMS 邮寄单号（可不填）", "EMS number (optional)"),
    "record_pages": Text("扫描 {s} 页，打印 {p} 页", "{s} pages scanned, {p} printed"),
    "record_save": Text("保存并办结", "Save and complete"),
    "transfer_to": Text("转到哪项业务？", "Transfer to which service?"),
    "print_alert": Text("打印失败：{number} 的号票没有打印出来，请补打",
                        "Print failed: ticket {number} was not printed; reprint"),
    "dismiss": Text("知道了", "Dismiss"),
    "arrive_at": Text("到达 {stop}", "Arrive at {stop}"),
    "arrive_at_time": Text("到达 {stop}（{time}）", "Arrive at {stop} ({time})"),
    "adhoc_stop": Text("预约即开：在此开设临时服务点", "On-demand stop: open a temporary service point here"),
    "adhoc_name": Text("临时服务点 {time}", "Temporary service point {time}"),
    "home_visits_n": Text("上门服务（今日 {n} 个）", "Home visits ({n} today)"),
    "home_title": Text("今日上门服务", "Today's home visits"),
    "home_none": Text("今天没有上门服务", "No home visits today"),
    "home_line": Text("{slot}  {address}\n{service} · {needs} · {who} 尾号 {last4} · 预约码 {code}",
                      "{slot}  {address}\n{service} · {needs} · {who} phone …{last4} · code {code}"),
    "home_state": Text("已开始：号码 {number}（{state}）", "Opened: number {number} ({state})"),
    "home_open": Text("开始上门服务 {slot}", "Start home visit {slot}"),
    "home_opened": Text("已开始上门服务，号码 {number}：请在叫号页叫号办理",
                        "Home visit opened as {number}: call it on the queue tab"),
    "depart": Text("离站", "Depart"),
    "depart_pending": Text("还有 {n} 人未办理：{numbers}", "{n} tickets still open: {numbers}"),
    "decide_serve": Text("先办完再走", "Serve them first"),
    "decide_release": Text("释放（不办理）", "Release (not served)"),
    "decide_rebook": Text("改约到后续行程", "Rebook to a later visit"),
    "departed": Text("已离站", "Departed"),
    "summary_issued": Text("今日取号 {n}", "Issued today {n}"),
    "summary_served": Text("已办结 {n}", "Served {n}"),
    "summary_no_show": Text("未到 {n}", "No-shows {n}"),
    "summary_wait": Text("平均等候 {m} 分钟", "Average wait {m} min"),
    "summary_rating": Text("评价 {n} 条，平均 {avg}", "{n} ratings, average {avg}"),
    "devices_none": Text("设备状态暂不可用", "Device status not available"),
    "uplink_pending": Text("上传中心：{n} 条待上传，最早一条已等 {m} 分钟",
                           "Uplink to HQ: {n} events waiting, oldest {m} min"),
    "uplink_clear": Text("上传中心：全部已上传", "Uplink to HQ: everything sent"),
    "uplink_connected": Text("上传中心：已连接（{since} 起）", "Uplink to HQ: connected (since {since})"),
    "uplink_disconnected": Text("上传中心：未连接（{since} 断开）——数据存在车上，恢复后自动补传",
                                "Uplink to HQ: not connected (since {since}) — kept on the bus, sent when it is back"),
    "uplink_last_ack": Text("中心最后确认：{at}（至第 {seq} 条）", "Last acknowledged by HQ: {at} (up to event {seq})"),
    "uplink_never_acked": Text("中心尚未确认任何数据（上传程序启动以来）",
                               "Nothing acknowledged by HQ since the agent started"),
    "uplink_agent_problem": Text("上传中心：{problem}", "Uplink to HQ: {problem}"),
    "gps_unknown": Text("GPS：状态未知（上传程序未运行）", "GPS: unknown (the uplink agent is not running)"),
    "gps_fix": Text("GPS：{mode}D 定位，{sats} 颗卫星，{lat}, {lon}（{at}）",
                    "GPS: {mode}D fix, {sats} satellites, {lat}, {lon} ({at})"),
    "gps_warning": Text("GPS 提示：{detail}", "GPS note: {detail}"),
    "gps_no_fix": Text("GPS：无定位（{detail}）", "GPS: no fix ({detail})"),
    "gps_no_receiver": Text("未接 GPS", "no GPS configured"),
    "gps_at_stop": Text("GPS 判断：已到 {stop}", "GPS says: at {stop}"),
    "gps_next_stop": Text("GPS 判断：行驶中，下一站 {stop}（计划 {at} 到）",
                          "GPS says: on the road, next {stop} (due {at})"),
    "gps_between": Text("GPS 判断：不在站点", "GPS says: not at a stop"),
    "gps_departure_pending": Text("车辆已驶离，尚有未办完的号，请在“到站”页处理",
                                  "The bus has left with tickets still open: decide on the Stop tab"),
    "gps_override": Text("到站 / 离站", "Arrive / depart"),
    "queue_line": Text("队列：等候 {n} 人，今日取号 {issued}", "Queue: {n} waiting, {issued} issued today"),
    "test_print": Text("测试打印", "Test print"),
    "test_printed": Text("样票已打印（标有副本，不是有效号码）",
                         "Sample ticket printed (marked COPY, not a real number)"),
    "no_ticket_printer": Text("没有配置号票打印机", "No ticket printer configured"),
    "a4_state": Text("A4 打印机：{state}", "A4 printer: {state}"),
    "a4_jobs": Text("最近打印任务：{jobs}", "Recent print jobs: {jobs}"),
    "a4_no_jobs": Text("最近没有打印任务", "No recent print jobs"),
    # print requests: the resident kiosk owns the ticket printer and prints for the crew
    "print_waiting": Text("等待前台打印…", "Waiting for the resident kiosk to print…"),
    "print_printing": Text("前台正在打印…", "The resident kiosk is printing…"),
    "print_request_failed": Text("打印失败：{reason}", "Not printed: {reason}"),
    "print_not_answering": Text("前台未应答，未打印（前台是否在运行？）",
                                "Resident kiosk not answering: nothing printed (is it running?)"),
    "print_no_result": Text("前台未报告打印结果，请查看号票机",
                            "The resident kiosk did not report the outcome: check the printer"),
    "refresh": Text("刷新", "Refresh"),
    "tab_camera": Text("高拍仪", "Camera"),
    "capture": Text("拍摄一页", "Capture a page"),
    "pages_n": Text("已拍 {n} 页", "{n} pages"),
    "page_n": Text("第{n}页", "p.{n}"),
    "make_pdf": Text("生成PDF", "Make PDF"),
    "print_a4": Text("打印", "Print"),
    "copy_n": Text("复印 {n} 份", "Copy {n}"),
    "pdf_saved": Text("PDF 已保存（{n} 页）", "PDF saved ({n} pages)"),
    "a4_job_queued": Text("已送打印 {n} 页（任务 {job} 排队中）", "{n} pages sent to the printer (job {job} queued)"),
    "a4_job_printing": Text("正在打印 {n} 页（任务 {job}）", "Printing {n} pages (job {job})"),
    "a4_job_done": Text("✓ 已打印 {n} 页（任务 {job}）", "✓ {n} pages printed (job {job})"),
    "a4_job_failed": Text("任务 {job} 未打印（已取消或中止），请重新打印",
                          "Job {job} not printed (cancelled or aborted): print again"),
    "reprint": Text("补打号票（副本）", "Reprint ticket (copy)"),
    "reprint_pick": Text("补打号票：选择号码（打印为副本）", "Reprint: choose the number (printed as a copy)"),
    "reprint_failed_mark": Text("打印失败", "print failed"),
    "reprint_none": Text("今天没有可补打的号", "No open ticket to reprint today"),
    "reprinted": Text("{number} 已补打（副本）", "{number} reprinted (copy)"),
    "override": Text("截止后补发号", "Issue despite cut-off"),
    "override_pick": Text("截止后补发号：选择业务", "Issue despite cut-off: choose the service"),
    "override_confirm_q": Text("确认为 {service} 补发号码？车辆将晚些离站",
                               "Issue a number for {service}? The bus leaves later"),
    "override_confirm": Text("确认补发", "Issue it"),
    "override_confirm_priority": Text("补发（绿色通道）", "Issue (priority)"),
    "override_issued": Text("已补发：{number}", "Issued: {number}"),
    "override_printed": Text("{number} 已打印", "{number} printed"),
    "override_failed": Text("{number} 打印失败，请告诉居民号码", "{number} not printed; tell the resident the number"),
    "override_shown": Text("没有号票打印机，请告诉居民号码 {number}",
                           "No ticket printer: tell the resident number {number}"),
    # display
    "now_calling": Text("请 {number} 号 到 {window} 号窗口", "Number {number}, please go to window {window}"),
    "last_calls": Text("最近叫号", "Recent calls"),
    "waiting_by_service": Text("各业务等候人数", "Waiting per service"),
    "announcement": Text("通知", "Notice"),
}

STATE_NAMES: dict[str, Text] = {
    "waiting": Text("等候", "waiting"), "called": Text("已叫号", "called"), "serving": Text("办理中", "serving"),
    "served": Text("已办结", "served"), "no_show": Text("未到", "no-show"),
    "transferred": Text("已转办", "transferred"), "cancelled": Text("已取消", "cancelled"),
    "released": Text("已释放", "released"), "rebooked": Text("已改约", "rebooked"),
}


DEVICE_NAMES: dict[str, Text] = {
    "ticket_printer": Text("号票打印机", "Ticket printer"), "a4_printer": Text("A4 打印机", "A4 printer"),
    "camera": Text("高拍仪", "Document camera"), "gps": Text("GPS", "GPS"), "storage": Text("存储", "Storage"),
}

DEVICE_STATES: dict[str, Text] = {
    "ok": Text("正常", "ok"), "degraded": Text("注意", "attention"), "error": Text("故障", "fault"),
    "offline": Text("离线", "offline"), "absent": Text("未接", "not fitted"),
}

A4_JOB_STATES: dict[str, Text] = {
    "pending": Text("排队中", "queued"), "pending-held": Text("已暂挂", "held"),
    "processing": Text("正在打印", "printing"), "processing-stopped": Text("已停止", "stopped"),
    "completed": Text("已完成", "done"), "canceled": Text("已取消", "cancelled"),
    "aborted": Text("已中止", "aborted"),
}


def t(key: str, lang: str = "zh", **values: object) -> str:
    """The text for ``key`` in ``lang`` (Chinese when unknown), with ``{placeholders}`` filled."""
    text = STRINGS[key].pick(lang)
    return text.format(**values) if values else text


def pick(value: Text, lang: str) -> str:
    """One side of a ``Text`` from the domain vocabulary or these tables."""
    return value.pick(lang)


def bilingual(detail: str, lang: str) -> str:
    """One side of a driver's ``"中文 / English"`` detail (the whole text when it has no two sides)."""
    return Text.parse(detail).pick(lang)


def name_of(obj: Named, lang: str) -> str:
    """``name_zh`` / ``name_en`` of a catalog entry or stop, in ``lang``."""
    return Text.named(obj).pick(lang)
