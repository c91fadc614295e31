"""Every text the kiosk shows, Simplified Chinese first, English second.

Screens say ``app.t("take", app.lang)`` in kv (naming ``app.lang`` makes kv redraw on a language
switch); Python code calls ``t(key, lang, **values)``. Keeping all texts here lets a test check that
no key lacks either language, and lets the county fix a wording without touching a screen.
"""
from __future__ import annotations

LANGS = ("zh", "en")

STRINGS: dict[str, tuple[str, str]] = {
    # shell
    "lang_toggle": ("English", "中文"),
    "large_on": ("长者模式", "Large text"),
    "large_off": ("标准字体", "Normal text"),
    "back": ("返回", "Back"),
    "home": ("首页", "Home"),
    "ok": ("确定", "OK"),
    "cancel": ("取消", "Cancel"),
    "clear": ("清除", "Clear"),
    "delete": ("删除", "Delete"),
    "working": ("请稍候…", "One moment…"),
    "error_generic": ("系统出现问题，请联系工作人员", "Something went wrong; please ask the crew"),
    # home (resident)
    "stop_now": ("当前站点：{stop}", "Now at: {stop}"),
    "theme_now": ("本场：{theme}", "This session: {theme}"),
    "not_at_stop": ("车辆行驶中，到站后开始取号", "On the road: numbers are issued at the next stop"),
    "next_visits": ("后续行程", "Next visits"),
    "today": ("今天", "today"),
    "tomorrow": ("明天", "tomorrow"),
    "take": ("取号", "Take a number"),
    "checkin": ("预约签到", "Appointment check-in"),
    "rate": ("评价", "Rate a service"),
    "guide": ("办事指南", "What can be done here"),
    "waiting_now": ("当前等候 {n} 人", "{n} people waiting"),
    # take a number
    "choose_service": ("请选择办理的业务", "Choose a service"),
    "choose_item": ("请选择具体事项", "Choose the matter"),
    "item_unsure": ("不确定，到窗口再说", "Not sure, ask at the window"),
    "service_waiting": ("等候 {n} 人", "{n} waiting"),
    "confirm_title": ("请确认", "Please confirm"),
    "confirm_ahead": ("前面还有 {n} 人", "{n} people ahead of you"),
    "confirm_wait": ("预计等候约 {m} 分钟", "Estimated wait about {m} min"),
    "priority": ("绿色通道（老人、残疾人、孕妇）", "Priority (elderly, disabled, pregnant)"),
    "confirm_take": ("确认取号", "Take this number"),
    "your_number": ("您的号码", "Your number"),
    "printing": ("正在打印号票…", "Printing your ticket…"),
    "printed": ("请取走号票，留意叫号", "Please take your ticket and listen for your number"),
    "print_failed": ("打印失败——您的号码是 {number}，请记住并告诉工作人员",
                     "Printing failed: your number is {number}; please tell the crew"),
    "not_accepting": ("暂时不能取号", "No numbers can be taken right now"),
    "later_visits": ("以下行程可以办理：", "These visits offer it:"),
    "no_later_visits": ("近期行程没有安排该业务，请拨打热线 {hotline}",
                        "No upcoming visit offers it; please call {hotline}"),
    "no_services": ("本站暂无可办理业务", "No services at this stop"),
    # check-in
    "checkin_code": ("请输入 6 位预约码", "Enter your 6-digit appointment code"),
    "checkin_phone": ("请输入手机号后 4 位", "Enter the last 4 digits of your phone"),
    "use_phone": ("没有预约码？用手机号", "No code? Use your phone number"),
    "use_code": ("使用预约码", "Use the appointment code"),
    "checkin_service": ("请选择预约的业务", "Choose the booked service"),
    "checked_in": ("签到成功", "Checked in"),
    # rating
    "rate_title": ("请对本次服务评价", "How was the service?"),
    "rate_ticket": ("请输入您的号码（如 A001）", "Enter your number (e.g. A001)"),
    "rate_reasons": ("请选择不满意的原因（可多选）", "What went wrong? (choose any)"),
    "rate_submit": ("提交评价", "Submit"),
    "rate_thanks": ("感谢您的评价！", "Thank you for your feedback!"),
    "rate_skip": ("不评价", "Skip"),
    "callback_title": ("需要工作人员回访吗？", "Would you like a call back?"),
    "callback_ok": ("同意并留下号码", "Agree and send my number"),
    "callback_no": ("不需要回访", "No call back"),
    "callback_sent": ("已记录，工作人员会尽快回访", "Noted: staff will call you back soon"),
    # guide
    "guide_title": ("本车可办理的业务", "Services on this bus"),
    # suggestions (意见建议): pick-list topics only, no typing on the kiosk
    "suggest": ("意见建议", "Suggestions"),
    "suggest_title": ("您希望直通车改进什么？（可多选）", "What should the bus do better? (choose any)"),
    "suggest_send": ("提交建议", "Send"),
    "suggest_thanks": ("谢谢您的建议！我们会认真研究。", "Thank you! We will look into it."),
    "suggest_none": ("请至少选择一项", "Please choose at least one"),
    # 受理 (accepted for processing): the provincial case, on the crew's outcome screen
    "record_case_no": ("办件编号", "Case no."),
    "record_department": ("承办部门", "Department"),
    "record_promised": ("承诺办结（天）", "Promised in (days)"),
    "guide_minutes": ("约 {m} 分钟", "about {m} min"),
    "guide_offered": ("本站可办", "offered here"),
    "guide_not_offered": ("本站不办", "not at this stop"),
    "guide_materials": ("请携带：", "Bring: "),
    "guide_note": ("说明：", "Note: "),
    # crew
    "crew_login": ("工作人员登录", "Crew log-in"),
    "crew_number": ("工号", "Crew number"),
    "crew_pin": ("密码", "PIN"),
    "login": ("登录", "Log in"),
    "logout": ("退出登录", "Log out"),
    "login_failed": ("工号或密码错误，还可尝试 {left} 次", "Wrong crew number or PIN; {left} tries left"),
    "locked": ("登录失败次数过多，请 {m} 分钟后再试", "Too many failed attempts; try again in {m} min"),
    "no_accounts": ("尚未设置工作人员密码：ztc kiosk --set-pin 工号",
                    "No crew PINs set yet: ztc kiosk --set-pin NUMBER"),
    "choose_window": ("选择窗口", "Choose the window"),
    "choose_skills": ("本窗口办理的业务", "Services at this window"),
    "open_window": ("开窗办理", "Open the window"),
    "window_n": ("{n} 号窗口", "Window {n}"),
    "call_next": ("叫号", "Call next"),
    "recall": ("重呼", "Call again"),
    "no_show": ("未到", "No-show"),
    "start": ("开始办理", "Start"),
    "complete": ("办结", "Complete"),
    "transfer": ("转办", "Transfer"),
    "pause": ("暂停", "Pause"),
    "resume": ("恢复", "Resume"),
    "paused": ("窗口已暂停", "Window paused"),
    "nobody_waiting": ("没有等候的人", "Nobody waiting"),
    "current_ticket": ("当前：{number}（{state}）", "Now: {number} ({state})"),
    "no_current": ("当前没有在办的号", "No ticket at this window"),
    "tab_queue": ("队列", "Queue"),
    "tab_devices": ("设备", "Devices"),
    "tab_visit": ("到站", "Stop"),
    "tab_summary": ("汇总", "Summary"),
    "record_item": ("办理事项", "Service item"),
    "record_outcome": ("办理结果", "Outcome"),
    "record_ems": ("EMS 邮寄单号（可不填）", "EMS number (optional)"),
    "record_pages": ("扫描 {s} 页，打印 {p} 页", "{s} pages scanned, {p} printed"),
    "record_save": ("保存并办结", "Save and complete"),
    "transfer_to": ("转到哪项业务？", "Transfer to which service?"),
    "print_alert": ("打印失败：{number} 的号票没有打印出来，请补打",
                    "Print failed: ticket {number} was not printed; reprint"),
    "dismiss": ("知道了", "Dismiss"),
    "arrive_at": ("到达 {stop}", "Arrive at {stop}"),
    "arrive_at_time": ("到达 {stop}（{time}）", "Arrive at {stop} ({time})"),
    "adhoc_stop": ("预约即开：在此开设临时服务点", "On-demand stop: open a temporary service point here"),
    "adhoc_name": ("临时服务点 {time}", "Temporary service point {time}"),
    "home_visits_n": ("上门服务（今日 {n} 个）", "Home visits ({n} today)"),
    "home_title": ("今日上门服务", "Today's home visits"),
    "home_none": ("今天没有上门服务", "No home visits today"),
    "home_line": ("{slot}  {address}\n{service} · {needs} · {who} 尾号 {last4} · 预约码 {code}",
                  "{slot}  {address}\n{service} · {needs} · {who} phone …{last4} · code {code}"),
    "home_state": ("已开始：号码 {number}（{state}）", "Opened: number {number} ({state})"),
    "home_open": ("开始上门服务 {slot}", "Start home visit {slot}"),
    "home_opened": ("已开始上门服务，号码 {number}：请在叫号页叫号办理",
                    "Home visit opened as {number}: call it on the queue tab"),
    "depart": ("离站", "Depart"),
    "depart_pending": ("还有 {n} 人未办理：{numbers}", "{n} tickets still open: {numbers}"),
    "decide_serve": ("先办完再走", "Serve them first"),
    "decide_release": ("释放（不办理）", "Release (not served)"),
    "decide_rebook": ("改约到后续行程", "Rebook to a later visit"),
    "departed": ("已离站", "Departed"),
    "summary_issued": ("今日取号 {n}", "Issued today {n}"),
    "summary_served": ("已办结 {n}", "Served {n}"),
    "summary_no_show": ("未到 {n}", "No-shows {n}"),
    "summary_wait": ("平均等候 {m} 分钟", "Average wait {m} min"),
    "summary_rating": ("评价 {n} 条，平均 {avg}", "{n} ratings, average {avg}"),
    "devices_none": ("设备状态暂不可用", "Device status not available"),
    "uplink_pending": ("上传中心：{n} 条待上传，最早一条已等 {m} 分钟",
                       "Uplink to HQ: {n} events waiting, oldest {m} min"),
    "uplink_clear": ("上传中心：全部已上传", "Uplink to HQ: everything sent"),
    "uplink_connected": ("上传中心：已连接（{since} 起）", "Uplink to HQ: connected (since {since})"),
    "uplink_disconnected": ("上传中心：未连接（{since} 断开）——数据存在车上，恢复后自动补传",
                            "Uplink to HQ: not connected (since {since}) — kept on the bus, sent when it is back"),
    "uplink_last_ack": ("中心最后确认：{at}（至第 {seq} 条）", "Last acknowledged by HQ: {at} (up to event {seq})"),
    "uplink_never_acked": ("中心尚未确认任何数据（上传程序启动以来）",
                           "Nothing acknowledged by HQ since the agent started"),
    "uplink_agent_problem": ("上传中心：{problem}", "Uplink to HQ: {problem}"),
    "gps_unknown": ("GPS：状态未知（上传程序未运行）", "GPS: unknown (the uplink agent is not running)"),
    "gps_fix": ("GPS：{mode}D 定位，{sats} 颗卫星，{lat}, {lon}（{at}）",
                "GPS: {mode}D fix, {sats} satellites, {lat}, {lon} ({at})"),
    "gps_warning": ("GPS 提示：{detail}", "GPS note: {detail}"),
    "gps_no_fix": ("GPS：无定位（{detail}）", "GPS: no fix ({detail})"),
    "gps_no_receiver": ("未接 GPS", "no GPS configured"),
    "gps_at_stop": ("GPS 判断：已到 {stop}", "GPS says: at {stop}"),
    "gps_next_stop": ("GPS 判断：行驶中，下一站 {stop}（计划 {at} 到）",
                      "GPS says: on the road, next {stop} (due {at})"),
    "gps_between": ("GPS 判断：不在站点", "GPS says: not at a stop"),
    "gps_departure_pending": ("车辆已驶离，尚有未办完的号，请在“到站”页处理",
                              "The bus has left with tickets still open: decide on the Stop tab"),
    "gps_override": ("到站 / 离站", "Arrive / depart"),
    "queue_line": ("队列：等候 {n} 人，今日取号 {issued}", "Queue: {n} waiting, {issued} issued today"),
    "test_print": ("测试打印", "Test print"),
    "test_printed": ("样票已打印（标有副本，不是有效号码）", "Sample ticket printed (marked COPY, not a real number)"),
    "no_ticket_printer": ("没有配置号票打印机", "No ticket printer configured"),
    # print requests: the resident kiosk owns the ticket printer and prints for the crew
    "print_waiting": ("等待前台打印…", "Waiting for the resident kiosk to print…"),
    "print_printing": ("前台正在打印…", "The resident kiosk is printing…"),
    "print_request_failed": ("打印失败：{reason}", "Not printed: {reason}"),
    "print_not_answering": ("前台未应答，未打印（前台是否在运行？）",
                            "Resident kiosk not answering: nothing printed (is it running?)"),
    "print_no_result": ("前台未报告打印结果，请查看号票机",
                        "The resident kiosk did not report the outcome: check the printer"),
    "a4_state": ("A4 打印机：{state}", "A4 printer: {state}"),
    "a4_jobs": ("最近打印任务：{jobs}", "Recent print jobs: {jobs}"),
    "a4_no_jobs": ("最近没有打印任务", "No recent print jobs"),
    "refresh": ("刷新", "Refresh"),
    "tab_camera": ("高拍仪", "Camera"),
    "capture": ("拍摄一页", "Capture a page"),
    "pages_n": ("已拍 {n} 页", "{n} pages"),
    "page_n": ("第{n}页", "p.{n}"),
    "make_pdf": ("生成PDF", "Make PDF"),
    "print_a4": ("打印", "Print"),
    "copy_n": ("复印 {n} 份", "Copy {n}"),
    "pdf_saved": ("PDF 已保存（{n} 页）", "PDF saved ({n} pages)"),
    "a4_job_queued": ("已送打印 {n} 页（任务 {job} 排队中）", "{n} pages sent to the printer (job {job} queued)"),
    "a4_job_printing": ("正在打印 {n} 页（任务 {job}）", "Printing {n} pages (job {job})"),
    "a4_job_done": ("✓ 已打印 {n} 页（任务 {job}）", "✓ {n} pages printed (job {job})"),
    "a4_job_failed": ("任务 {job} 未打印（已取消或中止），请重新打印",
                      "Job {job} not printed (cancelled or aborted): print again"),
    "reprint": ("补打号票（副本）", "Reprint ticket (copy)"),
    "reprint_pick": ("补打号票：选择号码（打印为副本）", "Reprint: choose the number (printed as a copy)"),
    "reprint_failed_mark": ("打印失败", "print failed"),
    "reprint_none": ("今天没有可补打的号", "No open ticket to reprint today"),
    "reprinted": ("{number} 已补打（副本）", "{number} reprinted (copy)"),
    "override": ("截止后补发号", "Issue despite cut-off"),
    "override_pick": ("截止后补发号：选择业务", "Issue despite cut-off: choose the service"),
    "override_confirm_q": ("确认为 {service} 补发号码？车辆将晚些离站",
                           "Issue a number for {service}? The bus leaves later"),
    "override_confirm": ("确认补发", "Issue it"),
    "override_confirm_priority": ("补发（绿色通道）", "Issue (priority)"),
    "override_issued": ("已补发：{number}", "Issued: {number}"),
    "override_printed": ("{number} 已打印", "{number} printed"),
    "override_failed": ("{number} 打印失败，请告诉居民号码", "{number} not printed; tell the resident the number"),
    "override_shown": ("没有号票打印机，请告诉居民号码 {number}",
                       "No ticket printer: tell the resident number {number}"),
    # display
    "now_calling": ("请 {number} 号 到 {window} 号窗口", "Number {number}, please go to window {window}"),
    "last_calls": ("最近叫号", "Recent calls"),
    "waiting_by_service": ("各业务等候人数", "Waiting per service"),
    "announcement": ("通知", "Notice"),
}

STATE_NAMES: dict[str, tuple[str, str]] = {
    "waiting": ("等候", "waiting"), "called": ("已叫号", "called"), "serving": ("办理中", "serving"),
    "served": ("已办结", "served"), "no_show": ("未到", "no-show"), "transferred": ("已转办", "transferred"),
    "cancelled": ("已取消", "cancelled"), "released": ("已释放", "released"), "rebooked": ("已改约", "rebooked"),
}


DEVICE_NAMES: dict[str, tuple[str, str]] = {
    "ticket_printer": ("号票打印机", "Ticket printer"), "a4_printer": ("A4 打印机", "A4 printer"),
    "camera": ("高拍仪", "Document camera"), "gps": ("GPS", "GPS"), "storage": ("存储", "Storage"),
}

DEVICE_STATES: dict[str, tuple[str, str]] = {
    "ok": ("正常", "ok"), "degraded": ("注意", "attention"), "error": ("故障", "fault"),
    "offline": ("离线", "offline"), "absent": ("未接", "not fitted"),
}

A4_JOB_STATES: dict[str, tuple[str, str]] = {
    "pending": ("排队中", "queued"), "pending-held": ("已暂挂", "held"), "processing": ("正在打印", "printing"),
    "processing-stopped": ("已停止", "stopped"), "completed": ("已完成", "done"), "canceled": ("已取消", "cancelled"),
    "aborted": ("已中止", "aborted"),
}


def t(key: str, lang: str = "zh", **values: object) -> str:
    """The text for ``key`` in ``lang`` (Chinese when unknown), with ``{placeholders}`` filled."""
    zh, en = STRINGS[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def pick(pair: tuple[str, str] | list[str], lang: str) -> str:
    """One of a (zh, en) pair from the domain vocabulary or the catalog."""
    return pair[1] if lang == "en" and pair[1] else pair[0]


def bilingual(detail: str, lang: str) -> str:
    """One side of a driver's ``"中文 / English"`` detail (the whole text when it has no two sides)."""
    zh, sep, en = detail.partition(" / ")
    return (en if lang == "en" else zh) if sep else detail


def name_of(obj: object, lang: str) -> str:
    """``name_zh`` / ``name_en`` of a catalog entry or stop, in ``lang``."""
    zh = getattr(obj, "name_zh", "")
    en = getattr(obj, "name_en", "")
    return en if lang == "en" and en else zh
