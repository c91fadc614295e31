"""Fixed pick-lists: outcomes, rating levels and reasons, suggestion topics, departments (``Text``).

Residents never type text on the kiosk, so every choice they or the crew make comes from here.
"""
from __future__ import annotations

from ztc.text import Text

OUTCOMES: dict[str, Text] = {
    "completed": Text("办结", "Completed"),
    "accepted": Text("受理", "Accepted for processing"),
    "consulted": Text("咨询", "Consultation"),
    "referred": Text("转办", "Referred"),
    "assisted": Text("帮办代办", "Assisted / done on behalf"),
}

# 好差评: five levels, 5 best.
RATING_LEVELS: dict[int, Text] = {
    5: Text("非常满意", "Very satisfied"),
    4: Text("满意", "Satisfied"),
    3: Text("基本满意", "Fairly satisfied"),
    2: Text("不满意", "Dissatisfied"),
    1: Text("非常不满意", "Very dissatisfied"),
}
REASONS_REQUIRED_AT_OR_BELOW = 2

# The bad-rating options (差评内容) shown for 不满意 / 非常不满意. GB/T 39734-2020 Appendix A holds
# the normative list, but no readable copy of it was found; these are the second-level indicators of
# on-site (线下) evaluation in the national 好差评 content list (服务效率, 服务水平, 服务态度 under
# 整体满意度), worded as what went wrong. Replace them here, and only here, from Appendix A.
RATING_REASONS: dict[str, Text] = {
    "efficiency": Text("服务效率低（等候久、办理慢）", "Service efficiency (long wait, slow handling)"),
    "competence": Text("服务水平不高（业务不熟、告知不清、没办成）", "Service competence (unclear, not resolved)"),
    "attitude": Text("服务态度不好", "Service attitude"),
    "overall": Text("整体不满意", "Overall dissatisfied"),
}
# Codes of the earlier home-made list: no longer offered, still readable in stored ratings.
LEGACY_RATING_REASONS: dict[str, Text] = {
    "wait_long": Text("等待时间太长", "Waited too long"),
    "not_done": Text("事情没有办成", "Matter not resolved"),
    "unclear": Text("告知不清楚", "Explanation unclear"),
    "come_again": Text("需要再跑一次", "Must come back again"),
    "materials": Text("材料要求太多", "Too many documents required"),
    "device": Text("设备出故障", "Equipment failed"),
    "other": Text("其他原因", "Other reason"),
}
RATING_REASON_TEXT: dict[str, Text] = {**LEGACY_RATING_REASONS, **RATING_REASONS}

# The consent text a resident reads before leaving a phone number for a callback (versioned: the
# version travels with the number so headquarters knows which text was agreed to).
CALLBACK_CONSENT_VERSION = "cb-1"
CALLBACK_CONSENT: Text = Text(
        "如需工作人员回访，请留下手机号码。号码只用于本次差评的回访核实，只发给总部负责此件的工作人员，"
        "结案后保存 30 天即删除。不留号码也会处理您的评价。",
        "If you want a call back, leave your phone number. It is used only to call you about this rating, "
        "goes only to the headquarters staff member handling it, and is deleted 30 days after the case closes. "
        "Your rating is followed up either way.")

SUGGESTION_TOPICS: dict[str, Text] = {
    "more_stops": Text("增加停靠点", "More stops"),
    "more_often": Text("增加服务次数", "Come more often"),
    "more_services": Text("增加办理事项", "More services on the bus"),
    "weekend": Text("周末和节假日服务", "Weekend and holiday service"),
    "hours": Text("调整服务时间", "Different service hours"),
    "elderly": Text("多帮助老年人", "More help for the elderly"),
    "notice": Text("提前发布通知", "Announce visits earlier"),
    "comfort": Text("改善车内环境", "Better comfort on the bus"),
}

# 受理: the county departments that complete an accepted matter (the crew picks one; no typing).
DEPARTMENTS: dict[str, Text] = {
    "approval": Text("县行政审批服务局", "County administrative approval bureau"),
    "hrss": Text("县人社局", "County human resources and social security bureau"),
    "medical": Text("县医保局", "County healthcare security bureau"),
    "police": Text("县公安局", "County public security bureau"),
    "civil": Text("县民政局", "County civil affairs bureau"),
    "market": Text("县市场监管局", "County market regulation bureau"),
    "estate": Text("县不动产登记中心", "County real estate registration centre"),
    "tax": Text("县税务局", "County tax bureau"),
    "town": Text("乡镇（街道）便民服务中心", "Township service centre"),
}
PROMISE_DAYS = (3, 5, 7, 15, 30)  # 承诺办结: calendar days from today, as the platform's receipt says
