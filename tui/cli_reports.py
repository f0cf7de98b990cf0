"""`logbook session ...` and `logbook export [summary|postmortem|guide]`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from storage.clock import format_local
from storage.errors import NotFound
from storage.kinds import Kind
from tui import messages
from tui.cli import EXIT_OK, EXIT_REFUSED

if TYPE_CHECKING:
    from tui.commands import Context


def cmd_session(ctx: Context) -> int:
    store = ctx.store
    action = ctx.args.action
    if action == "start":
        title = " ".join(ctx.args.title).strip() or None
        started = store.start_session(ctx.project, title)
        if ctx.json:
            ctx.emit(started.to_dict())
        else:
            ctx.say(messages.session_started(started.short_id, started.title))
        return EXIT_OK
    if action == "end":
        ended = store.end_session(ctx.project)
        if ended is None:
            ctx.warn(messages.NO_OPEN_SESSION)
            if ctx.json:
                ctx.emit({"ok": False, "error": "no_open_session"})
            return EXIT_REFUSED
        if ctx.json:
            ctx.emit(ended.to_dict())
        else:
            ctx.say(messages.session_ended(ended.short_id, ended.entries, ended.title))
        return EXIT_OK
    sessions = store.sessions(ctx.project, limit=max(1, ctx.args.limit))
    current = store.current_session(ctx.project)
    if ctx.json:
        ctx.emit([{**s.to_dict(), "current": current is not None and s.id == current.id} for s in sessions])
        return EXIT_OK
    if not sessions:
        ctx.say(messages.NO_SESSION)
    for item in sessions:
        when = format_local(item.started_at, store.zone)
        ctx.say(messages.session_line(item, when, current is not None and item.id == current.id))
    return EXIT_OK


def export_report(ctx: Context) -> int:
    from tui.commands import write_output

    store = ctx.store
    report = ctx.args.report
    if ctx.args.schema:
        from storage.summary import SessionSummary

        write_output(ctx, json.dumps(SessionSummary.model_json_schema(), indent=2) + "\n")
        return EXIT_OK
    if report == "postmortem":
        from storage import postmortem

        if not ctx.args.id:
            raise NotFound("an incident id (logbook export postmortem ID)")
        incident = store.get(ctx.args.id, ctx.project)
        if incident.kind is not Kind.INCIDENT:
            raise NotFound(ctx.args.id)
        text = postmortem.to_markdown(
            incident, store.events(incident.id), store.followups(incident.id), store.zone
        )
        write_output(ctx, text)
        return EXIT_OK
    if report == "guide":
        from storage import guide

        incidents = store.incidents(ctx.project)
        groups = guide.group(incidents, store.events_for([i.id for i in incidents]))
        write_output(ctx, guide.to_markdown(groups, ctx.project, store.zone))
        return EXIT_OK
    from storage import summary
    from storage.sessions import session_scope

    since = store.typed_time(ctx.args.since) if ctx.args.since else None
    try:
        title, entries, session = session_scope(
            store, ctx.project, session=ctx.args.session, since=since, everything=ctx.args.all
        )
    except NotFound:
        ctx.warn(messages.NO_SESSION)
        return EXIT_REFUSED
    built = summary.build(
        entries, store.events_for([e.id for e in entries]), project=ctx.project, title=title, session=session
    )
    if (ctx.args.format or ("json" if ctx.json else "md")) == "json":
        write_output(ctx, built.model_dump_json(indent=2) + "\n")
    else:
        write_output(ctx, summary.to_markdown(built, store.zone))
    return EXIT_OK
