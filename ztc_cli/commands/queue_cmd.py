"""``ztc queue …``: the queue engine from the command line, for scripting and troubleshooting."""
from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ztc.db import StorageError, open_database
from ztc.domain.engine import Departure, QueueEngine, QueueError, Ticket, Visit
from ztc.domain.vocabulary import OUTCOMES, RATING_REASONS, SUGGESTION_TOPICS
from ztc_cli.commands import add_json_flag, emit, fail, settings_from


def _engine(args: argparse.Namespace) -> QueueEngine:
    settings = settings_from(args)
    return QueueEngine(open_database(settings.db_path), settings)


def _run(action: Callable[[QueueEngine, argparse.Namespace], tuple[Any, str]]) -> Callable[[argparse.Namespace], int]:
    """Wrap a handler: open the engine, print the result, turn domain errors into exit codes."""

    def handler(args: argparse.Namespace) -> int:
        try:
            data, text = action(_engine(args), args)
        except QueueError as e:
            if args.json:
                emit(args, e.to_dict())
                return 1
            return fail(args, e.code, str(e) + _later_text(e.details.get("later")))
        except StorageError as e:
            return fail(args, "storage", str(e), exit_code=3)
        emit(args, data, text)
        return 0

    return handler


def _later_text(later: list[dict[str, Any]] | None) -> str:
    if not later:
        return ""
    lines = [f"\n  {v['name']} {v['arrive_local']}" for v in later]
    return "\n后续可办理的站点 / later visits offering it:" + "".join(lines)


def _ticket_text(t: Ticket | None) -> str:
    if t is None:
        return "没有等候的人 / nobody waiting"
    extra = f"  前面 {t.ahead} 人 / {t.ahead} ahead" if t.ahead is not None else ""
    return f"{t.number}  {t.state}  {t.id}{extra}"


def _parse_decisions(values: list[str]) -> dict[str, str]:
    out = {}
    for v in values:
        ticket, _, decision = v.partition("=")
        out[ticket] = decision
    return out


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("queue", help="the queue engine: stops, tickets, windows, calling")
    q = p.add_subparsers(dest="queue_command", metavar="ACTION", required=True)

    def cmd(name: str, help_: str, action: Callable[[QueueEngine, argparse.Namespace], tuple[Any, str]],
            *arguments: tuple[tuple[str, ...], dict[str, Any]]) -> argparse.ArgumentParser:
        parser = q.add_parser(name, help=help_, description=help_)
        for a, kw in arguments:
            parser.add_argument(*a, **kw)
        add_json_flag(parser)
        parser.set_defaults(func=_run(action))
        return parser

    cmd("arrive", "open a stop visit (arrival at STOP, or --adhoc NAME for an on-demand stop)",
        lambda e, a: _arrived(e.arrive_adhoc(a.adhoc) if a.adhoc else e.arrive(a.stop, a.source)),
        (("stop",), {"nargs": "?", "help": "stop id from the route (see `ztc queue status`)"}),
        (("--adhoc",), {"metavar": "NAME", "help": "open an on-demand visit (预约即开) with this name"}),
        (("--source",), {"choices": ["crew", "gps"], "default": "crew"}))
    cmd("depart", "close the stop visit; tickets still waiting need --decision or --ticket N=DECISION",
        lambda e, a: _departed(e.depart(a.source, _parse_decisions(a.ticket) if a.ticket else a.decision)),
        (("--decision",), {"choices": ["serve", "release", "rebook"], "help": "for every ticket still open"}),
        (("--ticket",), {"action": "append", "metavar": "NUMBER=DECISION", "help": "per ticket, e.g. A003=rebook"}),
        (("--source",), {"choices": ["crew", "gps"], "default": "crew"}))
    cmd("stay", "cancel a departure asked for while people still wait (the stop takes tickets again)",
        lambda e, a: _arrived(e.stay()))
    cmd("issue", "take a number for SERVICE (a prefix letter such as A)",
        lambda e, a: (t := e.issue(a.service.upper(), a.item, a.priority, a.override_cutoff), _ticket_text(t)),
        (("service",), {}), (("--item",), {"help": "catalog item code, e.g. A01"}),
        (("--override-cutoff",), {"action": "store_true", "help": "crew: serve although the bus leaves first"}),
        (("--priority",), {"action": "store_true", "help": "绿色通道: elderly, disabled, pregnant"}))
    cmd("checkin", "appointment check-in by 6-digit code, or --phone LAST4 --service X",
        lambda e, a: (t := e.check_in(a.code, a.phone, a.service), _ticket_text(t)),
        (("code",), {"nargs": "?"}), (("--phone",), {"metavar": "LAST4"}), (("--service",), {}))
    cmd("status", "the queue snapshot, the open visit, windows and open tickets", _status)
    cmd("window", "open, close, pause or resume a window",
        _window, (("action",), {"choices": ["open", "close", "pause", "resume"]}), (("number",), {"type": int}),
        (("--crew",), {"default": ""}), (("--skills",), {"default": "", "help": "service prefixes, e.g. A,B,D"}))
    win = (("--window", "-w"), {"type": int, "required": True})
    cmd("call", "call the next ticket to a window", lambda e, a: (t := e.call_next(a.window), _ticket_text(t)), win)
    cmd("recall", "call the window's ticket again (a no-show after the configured number of calls)",
        lambda e, a: (t := e.recall(a.window), _ticket_text(t)), win)
    cmd("serve", "start serving the window's called ticket", lambda e, a: (t := e.start(a.window), _ticket_text(t)),
        win)
    cmd("done", "complete the window's ticket with its service record",
        lambda e, a: (t := e.complete(a.window, a.item, a.outcome, a.ems, a.case_no, a.department, a.promised),
                      _ticket_text(t)), win,
        (("--item",), {"required": True, "help": "catalog item code, e.g. A01"}),
        (("--outcome",), {"choices": sorted(OUTCOMES), "default": "completed"}),
        (("--ems",), {"help": "EMS tracking number when results are mailed"}),
        (("--case-no",), {"help": "受理: the provincial platform's case number (办件编号)"}),
        (("--department",), {"help": "受理: the department that completes the matter"}),
        (("--promised",), {"help": "受理: the promised completion date, YYYY-MM-DD"}))
    cmd("no-show", "the called resident did not come", lambda e, a: (t := e.no_show(a.window), _ticket_text(t)),
        win)
    cmd("transfer", "move a ticket to another service (keeps its place in time)",
        lambda e, a: (t := e.transfer(a.ticket, a.to.upper()), _ticket_text(t)),
        (("ticket",), {"help": "number (A001) or id"}), (("--to",), {"required": True}))
    cmd("cancel", "cancel a waiting or called ticket", lambda e, a: (t := e.cancel(a.ticket), _ticket_text(t)),
        (("ticket",), {}))
    cmd("rate", "好差评: rate a served ticket 1-5 (reasons needed for 1 and 2)",
        lambda e, a: (r := e.rate(a.ticket, a.level, a.reason or []), f"{r['number']}: {r['level']}"),
        (("ticket",), {}), (("level",), {"type": int, "choices": range(1, 6)}),
        (("--reason",), {"action": "append", "choices": sorted(RATING_REASONS)}))
    cmd("suggest", "record a suggestion (chosen topics)",
        lambda e, a: (r := e.suggest(a.topics), " ".join(r["topics"])),
        (("topics",), {"nargs": "+", "choices": sorted(SUGGESTION_TOPICS)}))


def _arrived(v: Visit) -> tuple[Visit, str]:
    return v, f"已到站 / arrived: {v.stop_name} ({v.stop_id})  visit {v.id}"


def _departed(r: Departure) -> tuple[Departure, str]:
    if r.closed:
        stop = r.visit.stop_name if r.visit else ""
        return r, f"已离站 / departed: {stop}  released {r.released}, rebooked {r.rebooked}"
    return r, f"仍有未办结 / still open: {', '.join(r.remaining)} — 本站停止取号 / no new tickets"


def _status(e: QueueEngine, a: argparse.Namespace) -> tuple[dict[str, Any], str]:
    v = e.current_visit()
    queue = e.snapshot().to_dict()
    windows = [w.to_dict() for w in e.windows()]
    tickets = [t.to_dict() for t in e.waiting()]
    data = {"queue": queue, "visit": v.to_dict() if v else None, "windows": windows, "tickets": tickets}
    lines = [f"站点 / stop: {v.stop_name + ' (' + v.stop_id + ')' if v else '— 未到站 / not at a stop'}",
             f"等候 / waiting: {queue['waiting']} {queue['by_service']}   "
             f"今日取号 / issued today: {queue['issued_today']}   "
             f"已办结 / served: {queue['served_today']}"]
    for w in windows:
        state = "暂停 paused" if w["paused"] else ("开 open" if w["open"] else "关 closed")
        lines.append(f"窗口 / window {w['number']}: {state}  crew {w['crew'] or '-'}  skills {','.join(w['skills'])}")
    lines += [f"  {t['number']:<6}{t['state']:<9}{'P' if t['priority'] else ' '} {t['id']}" for t in tickets]
    return data, "\n".join(lines)


def _window(e: QueueEngine, a: argparse.Namespace) -> tuple[Any, str]:
    if a.action == "open":
        w = e.open_window(a.number, a.crew, [s.strip().upper() for s in a.skills.split(",") if s.strip()])
    elif a.action == "close":
        e.close_window(a.number)
        return {"number": a.number, "open": False}, f"窗口 {a.number} 已关闭 / window {a.number} closed"
    else:
        w = e.pause_window(a.number, a.action == "pause")
    return w, f"窗口 / window {w.number}: open={w.open} paused={w.paused} skills={','.join(w.skills)}"
