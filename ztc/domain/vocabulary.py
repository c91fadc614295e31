"""Fixed pick-lists: outcomes, rating levels and reasons, suggestion topics, departments (zh, en).

Residents never type text on the kiosk, so every choice they or the crew make comes from here.
"""
from __future__ import annotations

OUTCOMES: dict[str, tuple[str, str]] = {
    "completed": ("办结", "Completed"),
    "accepted": ("受理", "Accepted for processing"),
    "consulted": ("咨询", "Consultation"),
    "referred": ("转办", "Referred"),
    "assisted": ("帮办代办", "Assisted / done on behalf"),
}

# 好差评: five levels, 5 best.
RATING_LEVELS: dict[int, tuple[str, str]] = {
    5: ("非常满意", "Very satisfied"),
    4: ("满意", "Satisfied"),
    3: ("基本满意", "Fairly satisfied"),
    2: ("不满意", "Dissatisfied"),
    1: ("非常不满意", "Very dissatisfied"),
}
REASONS_REQUIRED_AT_OR_BELOW = 2

RATING_REASONS: dict[str, tuple[str, str]] = {
    "wait_long": ("等待时间太长", "Waited too long"),
    "not_done": ("事情没有办成", "Matter not resolved"),
    "unclear": ("告知不清楚", "Explanation unclear"),
    "attitude": ("服务态度不好", "Unfriendly service"),
    "come_again": ("需要再跑一次", "Must come back again"),
    "materials": ("材料要求太多", "Too many documents required"),
    "device": ("设备出故障", "Equipment failed"),
    "other": ("其他原因", "Other reason"),
}

SUGGESTION_TOPICS: dict[str, tuple[str, str]] = {
    "more_stops": ("增加停靠点", "More stops"),
    "more_often": ("增加服务次数", "Come more often"),
    "more_services": ("增加办理事项", "More services on the bus"),
    "weekend": ("周末和节假日服务", "Weekend and holiday service"),
    "hours": ("调整服务时间", "Different service hours"),
    "elderly": ("多帮助老年人", "More help for the elderly"),
    "notice": ("提前发布通知", "Announce visits earlier"),
    "comfort": ("改善车内环境", "Better comfort on the bus"),
}

# 受理: the county departments that complete an accepted matter (the crew picks one; no typing).
DEPARTMENTS: dict[str, tuple[str, str]] = {
    "approval": ("县行政审批服务局", "County administrative approval bureau"),
    "hrss": ("县人社局", "County human resources and social security bureau"),
    "medical": ("县医保局", "County healthcare security bureau"),
    "police": ("县公安局", "County public security bureau"),
    "civil": ("县民政局", "County civil affairs bureau"),
    "market": ("县市场监管局", "County market regulation bureau"),
    "estate": ("县不动产登记中心", "County real estate registration centre"),
    "tax": ("县税务局", "County tax bureau"),
    "town": ("乡镇（街道）便民服务中心", "Township service centre"),
}
PROMISE_DAYS = (3, 5, 7, 15, 30)  # 承诺办结: calendar days from today, as the platform's receipt says
