"""CircleBot: the one entry point every adapter calls.

An adapter turns its platform's event into (Identity, text | request | action | form) and
renders the neutral Reply it gets back. Each call is one unit of work: either everything it
changes is committed together with the outbox rows it causes, or nothing is.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import commands as c
from bot.config import Config
from bot.ports import Identity
from bot.replies import Button, Field, Form, FormField, Reply, Section, error, ok
from circles import health as health_mod
from circles import service as s
from circles.db import unit_of_work
from circles.model import Circle, Goal, Member, PendingAction, Program, Pulse, Workspace, utcnow

Clock = Callable[[], dt.datetime]
ROLE_LABELS = {"peer": "Peer", "mentor": "Mentor", "mentee": "Mentee", "skill-swap": "Skill swap"}


def _fmt_rate(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


def _fmt_pulse(avg: float | None, trend: float | None) -> str:
    if avg is None:
        return "—"
    arrow = "" if trend is None else (" ↑" if trend > 0.25 else " ↓" if trend < -0.25 else " →")
    return f"{avg:.1f}{arrow}"


class CircleBot:
    def __init__(self, sessions: sessionmaker[Session], config: Config | None = None,
                 clock: Clock = utcnow) -> None:
        self.sessions = sessions
        self.config = config or Config()
        self.clock = clock

    # ------------------------------------------------------------ adapter API

    async def handle_command(self, who: Identity, text: str) -> Reply:
        return await asyncio.to_thread(self.handle_command_sync, who, text)

    async def handle_request(self, who: Identity, request: c.Request) -> Reply:
        return await asyncio.to_thread(self.handle_request_sync, who, request)

    async def handle_action(self, who: Identity, action: str, value: str) -> Reply:
        return await asyncio.to_thread(self._run, who, lambda ctx: self._action(ctx, action, value))

    async def handle_form(self, who: Identity, form_id: str, context: str,
                          values: dict[str, str | list[str]]) -> Reply:
        return await asyncio.to_thread(self._run, who, lambda ctx: self._form(ctx, form_id, context, values))

    async def handle_thread_reply(self, who: Identity, space: str, thread: str, text: str) -> Reply | None:
        return await asyncio.to_thread(self.handle_thread_reply_sync, who, space, thread, text)

    async def workspace_removed(self, platform: str, workspace: str) -> None:
        def run() -> None:
            with unit_of_work(self.sessions) as session:
                s.deactivate_workspace(session, platform, workspace)
        await asyncio.to_thread(run)

    async def autocomplete(self, who: Identity, kind: str, prefix: str) -> list[tuple[str, str]]:
        return await asyncio.to_thread(self.autocomplete_sync, who, kind, prefix)

    # --------------------------------------------------------- sync versions

    def handle_command_sync(self, who: Identity, text: str) -> Reply:
        try:
            request = c.parse(text, today=self.today())
        except c.ParseError as exc:
            return error(exc.message, exc.usage)
        return self.handle_request_sync(who, request)

    def handle_request_sync(self, who: Identity, request: c.Request) -> Reply:
        return self._run(who, lambda ctx: self._dispatch(ctx, request))

    def handle_thread_reply_sync(self, who: Identity, space: str, thread: str, text: str) -> Reply | None:
        def run(ctx: Ctx) -> Reply:
            post = s.post_by_message(ctx.session, ctx.ws, space, thread)
            if post is None:
                raise _NotAPrompt
            body = c.check_text(text, "answer")
            _, replaced = s.record_response(ctx.session, ctx.me, post, body)
            return ok("Updated your answer." if replaced else "Thanks, your answer is recorded.")
        try:
            return self._run(who, run)
        except _NotAPrompt:
            return None

    def autocomplete_sync(self, who: Identity, kind: str, prefix: str) -> list[tuple[str, str]]:
        low = prefix.lower()
        if kind == "timezone":
            zones = sorted(z for z in available_timezones() if low in z.lower())
            return [(z, z) for z in zones[:25]]
        with unit_of_work(self.sessions) as session:
            ws = session.scalar(select(Workspace).where(Workspace.platform == who.platform,
                                                        Workspace.external_id == who.workspace))
            if ws is None:
                return []
            if kind == "program":
                return [(p.name, p.name) for p in s.programs(session, ws) if low in p.name.lower()][:25]
            if kind == "member":
                rows = session.scalars(select(Member).where(Member.workspace_id == ws.id)
                                       .order_by(Member.display_name)).all()
                return [(m.external_id, m.display_name) for m in rows if low in m.display_name.lower()][:25]
        return []

    def today(self) -> dt.date:
        return self.clock().date()

    # -------------------------------------------------------------- plumbing

    def _run(self, who: Identity, fn: Callable[[Ctx], Reply]) -> Reply:
        try:
            with unit_of_work(self.sessions) as session:
                ws = s.get_workspace(session, who.platform, who.workspace)
                me = s.get_member(session, ws, who.user, who.display_name)
                self._grant_configured_coordinator(who, me)
                return fn(Ctx(session, ws, me, who, self))
        except s.DomainError as exc:
            return error(exc.message)
        except c.ParseError as exc:
            return error(exc.message, exc.usage)

    def _grant_configured_coordinator(self, who: Identity, me: Member) -> None:
        """Configured coordinators and platform admins are remembered as coordinators, so the
        scheduler's digests and failure notices (which have no request to ask) reach them."""
        keys = {f"{who.platform}:{who.workspace}:{who.user}", f"{who.platform}:*:{who.user}"}
        if not me.is_coordinator and (who.is_admin or keys & set(self.config.bot.coordinators)):
            me.is_coordinator = True

    def _dispatch(self, ctx: Ctx, request: c.Request) -> Reply:
        spec = c.spec_for(request)
        if spec.coordinator_only and not ctx.is_coordinator:
            return error(f"`/circle {spec.name}` is for coordinators. Ask one of them "
                         "(`/circle coordinators list`) if you need this.")
        handler = getattr(self, f"_do_{type(request).__name__}")
        return handler(ctx, request)

    # --------------------------------------------------------------- members

    def _do_Help(self, ctx: Ctx, r: c.Help) -> Reply:
        title, rows = c.help_text(r.topic, ctx.is_coordinator)
        text = "\n".join(f"• `{usage}` — {summary}" for usage, summary in rows)
        if not r.topic:
            text += "\n\nType `/circle help <command>` for details and examples."
        return Reply(text=text, title=title)

    def _do_Join(self, ctx: Ctx, r: c.Join) -> Reply:
        program, already = s.join(ctx.session, ctx.ws, ctx.me, r.role, r.program)
        where = f' in "{program.name}"' if program else ""
        if already:
            return Reply(text=f"You've already joined{where} as {ROLE_LABELS[r.role].lower()}. "
                              "Use `/circle profile` to review your profile.", tone="warning")
        profile = s.get_profile(ctx.session, ctx.me)
        if ctx.who.timezone and profile.timezone == "UTC":
            profile.timezone = ctx.who.timezone
        if profile.interests or profile.goals or profile.skills_offered:  # a returning member
            note = self._place_late(ctx)
            if note:
                return ok(f"Welcome back! You joined{where} as {ROLE_LABELS[r.role].lower()}.{note}")
        return Reply(text=f"Welcome! You joined{where} as {ROLE_LABELS[r.role].lower()}. "
                          "Tell us a little about yourself so we can match you well.",
                     tone="success", form=self.profile_form(ctx), buttons=[
                         Button("Fill in my profile", "profile_edit", "", "primary")])

    def profile_form(self, ctx: Ctx) -> Form:
        p = s.get_profile(ctx.session, ctx.me)

        def joined(xs: list[Any]) -> str:
            return ", ".join(xs)

        avail = ", ".join(f"{d} {a}-{b}" for d, a, b in p.availability)
        return Form("profile", "Your circle profile", [
            FormField("role", "Role", "select", [(k, v) for k, v in ROLE_LABELS.items()], p.role, True),
            FormField("experience", "Experience (1 new … 5 expert)", "select",
                      [(str(i), str(i)) for i in range(1, 6)], str(p.experience), True),
            FormField("department", "Team or department", initial=p.department, max_length=100),
            FormField("interests", "Interests (comma separated)", "long_text", initial=joined(p.interests),
                      placeholder="public speaking, rust, leadership"),
            FormField("goals", "Goals (comma separated)", "long_text", initial=joined(p.goals)),
            FormField("offers", "Skills you can offer", "long_text", initial=joined(p.skills_offered)),
            FormField("wants", "Skills you want to learn", "long_text", initial=joined(p.skills_wanted)),
            FormField("timezone", "Time zone (IANA, e.g. Europe/Berlin)", initial=p.timezone, required=True),
            FormField("availability", "Weekly availability", initial=avail,
                      placeholder="mon 9-12, wed 14-17 or weekdays 9-17"),
        ], submit_label="Save")

    def _do_ProfileShow(self, ctx: Ctx, r: c.ProfileShow) -> Reply:
        p = s.get_profile(ctx.session, ctx.me)
        avail = ", ".join(f"{d} {a}-{b}" for d, a, b in p.availability) or "not set"
        fields = [
            Field("Role", ROLE_LABELS.get(p.role, p.role)), Field("Experience", f"{p.experience}/5"),
            Field("Department", p.department or "—"), Field("Time zone", p.timezone),
            Field("Interests", ", ".join(p.interests) or "—", False),
            Field("Goals", ", ".join(p.goals) or "—", False),
            Field("Offers", ", ".join(p.skills_offered) or "—", False),
            Field("Wants", ", ".join(p.skills_wanted) or "—", False),
            Field("Availability", avail, False),
        ]
        if p.role == "mentor":
            fields.append(Field("Mentee capacity", str(p.mentor_capacity)))
        if p.never_with:
            names = [x.display_name for x in ctx.session.scalars(select(Member).where(
                Member.workspace_id == ctx.ws.id, Member.id.in_(p.never_with)))]
            fields.append(Field("Never matched with", ", ".join(sorted(names)), False))
        return Reply(text="Only you can see this.", title="Your profile", fields=fields,
                     buttons=[Button("Edit profile", "profile_edit", "", "primary")])

    def _do_ProfileEdit(self, ctx: Ctx, r: c.ProfileEdit) -> Reply:
        return Reply(text="Opening your profile…", form=self.profile_form(ctx))

    def _save_profile(self, ctx: Ctx, values: dict[str, Any]) -> str:
        """Save profile fields; a member who joined mid-round is then placed (or waitlisted).
        Returns what to add to the reply about placement."""
        values = dict(values)
        if "avoid" in values:
            values["never_with"] = s.resolve_avoid(ctx.session, ctx.ws, ctx.me, values.pop("avoid"))
        s.update_profile(ctx.session, ctx.me, values)
        return self._place_late(ctx)

    def _place_late(self, ctx: Ctx) -> str:
        placed = s.place_late_joiner(ctx.session, ctx.me, self.today())
        if placed is None:
            return ""
        program, circle, why = placed
        if circle is None:
            return f" You're on the waitlist for the next round of {program.name}: {why}"
        return f" You've joined **{circle.name}**, which had room: {why}"

    def _do_ProfileSet(self, ctx: Ctx, r: c.ProfileSet) -> Reply:
        note = self._save_profile(ctx, r.values)
        names = sorted("never with" if k == "avoid" else k for k in r.values)
        return ok(f"Saved: {', '.join(names)}.{note}")

    def _do_Pause(self, ctx: Ctx, r: c.Pause) -> Reply:
        s.pause(ctx.session, ctx.me, r.until, self.today())
        return ok(f"Paused until {r.until.isoformat()}. No prompts, nudges or matching until then; "
                  "`/circle resume` to come back sooner.")

    def _do_Resume(self, ctx: Ctx, r: c.Resume) -> Reply:
        s.resume(ctx.session, ctx.me, self.today())
        return ok("Welcome back! You'll get prompts and be matched again.")

    def _do_Leave(self, ctx: Ctx, r: c.Leave) -> Reply:
        s.check_can_leave(ctx.session, ctx.me)
        pa = s.request_confirmation(ctx.session, ctx.me, "leave", {})
        circles = [circle.name for circle, _ in s.active_memberships(ctx.session, ctx.me)]
        where = f" You'll leave {', '.join(circles)}." if circles else ""
        return Reply(text=f"Are you sure you want to leave?{where} Your answers and goals are kept.",
                     tone="warning", buttons=[Button("Yes, leave", "confirm_leave", str(pa.id), "danger"),
                                              Button("Stay", "cancel", str(pa.id))])

    def _do_Status(self, ctx: Ctx, r: c.Status) -> Reply:
        st = s.status(ctx.session, ctx.me, self.today())
        sections = []
        if not st.enrolled:
            return Reply(text="You haven't joined yet. `/circle join` to get started.", title="Your status")
        if st.paused_until:
            sections.append(Section(f"Paused until {st.paused_until.isoformat()}.", "Paused"))
        if st.circles:
            lines = [f"• **{circle.name}** with {', '.join(names) or 'nobody yet'}" for circle, names in st.circles]
            sections.append(Section("\n".join(lines), "My circles"))
        else:
            sections.append(Section("You'll be placed in a circle when the next round is published.", "My circles"))
        if st.prompt:
            state = "answered ✓" if st.answered else "not answered yet"
            sections.append(Section(f"{st.prompt.text} ({state})", f"Week {st.prompt.cycle} prompt"))
        if st.goals:
            sections.append(Section("\n".join(
                f"{g.number}. {g.text}" + (f" (by {g.due_on.isoformat()})" if g.due_on else "") for g in st.goals),
                "My open goals"))
        buttons = [Button("Answer the prompt", "answer", str(st.prompt.id), "primary")] if st.prompt and not st.answered else []
        return Reply(text="Only you can see this.", title="Your status", sections=sections, buttons=buttons)

    def _do_Answers(self, ctx: Ctx, r: c.Answers) -> Reply:
        cp = s.current_post(ctx.session, ctx.me)
        if cp is None:
            raise s.DomainError("Your circle hasn't had a prompt yet.")
        circle, post = cp
        rows = s.answers(ctx.session, post)
        if not rows:
            text = "No answers yet — be the first!"
        else:
            text = "\n\n".join(f"**{m.display_name}**: {resp.text}" for m, resp in rows)
        return Reply(text=text, title=f"{circle.name} · week {post.cycle}: {post.text}")

    def _do_Answer(self, ctx: Ctx, r: c.Answer) -> Reply:
        cp = s.current_post(ctx.session, ctx.me)
        if cp is None:
            raise s.DomainError("Your circle hasn't had a prompt yet, so there's nothing to answer.")
        _, replaced = s.record_response(ctx.session, ctx.me, cp[1], r.text)
        return ok("Updated your answer." if replaced else "Thanks, your answer is recorded.")

    def _current_circle(self, ctx: Ctx) -> tuple[Circle, int]:
        circle = s.only_circle(ctx.session, ctx.me)
        return circle, s.current_cycle(ctx.session, circle)

    def _do_CheckInCmd(self, ctx: Ctx, r: c.CheckInCmd) -> Reply:
        circle, cycle = self._current_circle(ctx)
        return self._checkin(ctx, circle, cycle, r.status)

    def _checkin(self, ctx: Ctx, circle: Circle, cycle: int, status: str) -> Reply:
        changed = s.record_checkin(ctx.session, ctx.me, circle, cycle, status)
        words = {"met": "you met", "not_yet": "you haven't met yet", "skipped": "you skipped this week"}
        return ok(f"{'Updated' if changed else 'Noted'}: {words[status]} (week {cycle}).")

    def _do_PulseCmd(self, ctx: Ctx, r: c.PulseCmd) -> Reply:
        circle, cycle = self._current_circle(ctx)
        return self._pulse(ctx, circle, cycle, r.rating, r.comment)

    def _pulse(self, ctx: Ctx, circle: Circle, cycle: int, rating: int, comment: str) -> Reply:
        changed = s.record_pulse(ctx.session, ctx.me, circle, cycle, rating, comment)
        reply = ok(f"{'Updated' if changed else 'Thanks'}: you rated week {cycle} {rating}/5.")
        if not comment:
            reply.buttons = [Button("Add a comment", "pulse_comment", f"{circle.id}:{cycle}")]
        return reply

    def _do_GoalSet(self, ctx: Ctx, r: c.GoalSet) -> Reply:
        g = s.set_goal(ctx.session, ctx.me, r.text, r.due, self.today())
        due = f" by {g.due_on.isoformat()}" if g.due_on else ""
        return ok(f"Goal {g.number} set{due}: {g.text}")

    def _do_GoalDone(self, ctx: Ctx, r: c.GoalDone) -> Reply:
        g = s.goal_done(ctx.session, ctx.me, r.number)
        return ok(f"🎉 Goal {g.number} done: {g.text}")

    def _do_GoalNote(self, ctx: Ctx, r: c.GoalNote) -> Reply:
        g = s.goal_note(ctx.session, ctx.me, r.number, r.text, self.clock())
        return ok(f"Noted on goal {g.number} ({len(g.notes)} note{'s' if len(g.notes) != 1 else ''}).")

    def _do_GoalList(self, ctx: Ctx, r: c.GoalList) -> Reply:
        gs = s.goals(ctx.session, ctx.me)
        if not gs:
            return Reply(text='No goals yet. `/circle goal set "..." by 2027-02-01` to add one.', title="Your goals")
        lines = []
        for g in gs:
            mark = "✓" if g.done else "○"
            due = f" (by {g.due_on.isoformat()})" if g.due_on else ""
            notes = f" — {len(g.notes)} note(s), latest: {g.notes[-1]['text']}" if g.notes else ""
            lines.append(f"{mark} {g.number}. {g.text}{due}{notes}")
        return Reply(text="\n".join(lines), title="Your goals")

    # ---------------------------------------------------------- coordinators

    def _do_ProgramCreate(self, ctx: Ctx, r: c.ProgramCreate) -> Reply:
        p = s.create_program(ctx.session, ctx.ws, ctx.me, name=r.name, kind=r.kind, size=r.size,
                             cadence=r.cadence, day=r.day, time=r.time, timezone=r.tz,
                             round_weeks=r.weeks, repeat_window=r.repeat, min_shared_hours=r.hours,
                             weights=dict(r.weights))
        size = f"{p.min_size}-{p.max_size}" if p.min_size != p.max_size else str(p.min_size)
        return ok(f'Created "{p.name}": {c.KIND_LABELS[p.kind]} circles of {size}, {p.cadence} on '
                  f"{p.day} at {p.time} ({p.timezone}). Enrolment is open.", visibility="in_channel")

    def _do_ProgramSet(self, ctx: Ctx, r: c.ProgramSet) -> Reply:
        p = self._program(ctx, r.name)
        names = {"tz": "timezone", "weeks": "round_weeks", "repeat": "repeat_window",
                 "hours": "min_shared_hours"}
        given = {k: v for k, v in sorted(c.request_fields(r).items()) if k != "name" and v is not None}
        if not given:
            raise s.DomainError("Tell me what to change, e.g. repeat=4 or weights=interests:2.")
        changes = {names.get(k, k): v for k, v in given.items()}
        if "weights" in changes:
            changes["weights"] = {**(p.weights or {}), **changes["weights"]}
        s.update_program(ctx.session, p, **changes)
        shown = ", ".join(f"{k}={v}" for k, v in given.items())
        return ok(f'Updated "{p.name}": {shown}. It applies from the next round preview.')

    def _program(self, ctx: Ctx, name: str) -> Program:
        return s.resolve_program(ctx.session, ctx.ws, name)

    def _do_ProgramOpen(self, ctx: Ctx, r: c.ProgramOpen) -> Reply:
        p = self._program(ctx, r.name)
        s.set_enrolment(ctx.session, p, True)
        return ok(f'Enrolment for "{p.name}" is open. Members can `/circle join`.')

    def _do_ProgramClose(self, ctx: Ctx, r: c.ProgramClose) -> Reply:
        p = self._program(ctx, r.name)
        s.set_enrolment(ctx.session, p, False)
        return ok(f'Enrolment for "{p.name}" is closed.')

    def _do_ProgramList(self, ctx: Ctx, r: c.ProgramList) -> Reply:
        ps = s.programs(ctx.session, ctx.ws)
        if not ps:
            return Reply(text='No programs yet. A coordinator can create one: `/circle program create "Name"`.')
        lines = [f"• **{p.name}** — {c.KIND_LABELS[p.kind]}, {p.cadence} {p.day} {p.time}, enrolment "
                 f"{'open' if p.enrolment_open else 'closed'}" for p in ps]
        return Reply(text="\n".join(lines), title="Programs")

    def _do_PromptAdd(self, ctx: Ctx, r: c.PromptAdd) -> Reply:
        p = self._program(ctx, r.program)
        s.add_prompt(ctx.session, p, r.text)
        return ok(f'Added a custom prompt to "{p.name}"; circles get it before the built-in ones.')

    def _round_reply(self, ctx: Ctx, program: Program, rnd: Any, title: str) -> Reply:
        members = s.round_members(ctx.session, rnd)
        sections = []
        for circle in rnd.circles:
            people = members.get(circle.id, [])
            names = ", ".join(m.display_name + (" (mentor)" if ms.role == "mentor" else "") for m, ms in people)
            sections.append(Section(f"{names}\n_{circle.explanation}_ · score {circle.score:.1f}",
                                    f"Circle {circle.number}"))
        text = f"{len(rnd.circles)} circles, total score {rnd.score:.1f}."
        if rnd.broken_rules:
            text += "\nRules I had to break: " + "; ".join(rnd.broken_rules)
        if rnd.waitlist:
            names = []
            for mid, reason in rnd.waitlist.items():
                m = ctx.session.get(Member, int(mid))
                names.append(f"{m.display_name if m else mid} ({reason})")
            text += "\nWaitlist: " + "; ".join(names)
        return Reply(text=text, title=title, sections=sections)

    def _do_RoundPreview(self, ctx: Ctx, r: c.RoundPreview) -> Reply:
        p = self._program(ctx, r.program)
        rnd = s.preview_round(ctx.session, p, self.today(), r.seed)
        reply = self._round_reply(ctx, p, rnd, f'Draft round {rnd.number} of "{p.name}"')
        reply.text += "\nAdjust with `/circle round move @member to N`, then publish."
        reply.buttons = [Button("Publish", "publish_round", str(p.id), "primary"),
                         Button("Reshuffle", "reshuffle_round", str(p.id))]
        return reply

    def _do_RoundMove(self, ctx: Ctx, r: c.RoundMove) -> Reply:
        p = self._program(ctx, r.program)
        m = s.find_member(ctx.session, ctx.ws, r.member.external_id, r.member.name)
        target = s.move_in_draft(ctx.session, p, m, r.circle)
        return ok(f"Moved {m.display_name} to circle {target.number} in the draft.")

    def _do_RoundPublish(self, ctx: Ctx, r: c.RoundPublish) -> Reply:
        p = self._program(ctx, r.program)
        return self._publish(ctx, p)

    def _publish(self, ctx: Ctx, p: Program) -> Reply:
        rnd = s.publish_round(ctx.session, p)
        return ok(f'Round {rnd.number} of "{p.name}" is live: {len(rnd.circles)} circles. I\'m creating '
                  "their spaces and welcoming everyone now.", visibility="in_channel")

    def _do_RoundEnd(self, ctx: Ctx, r: c.RoundEnd) -> Reply:
        p = self._program(ctx, r.program)
        rnd = s.latest_round(ctx.session, p, "active")
        if rnd is None:
            raise s.DomainError(f'"{p.name}" has no active round.')
        s.end_round(ctx.session, rnd, self.clock())
        return ok(f"Round {rnd.number} ended; its spaces will be archived. Form the next one with "
                  "`/circle round preview`.")

    def _do_Health(self, ctx: Ctx, r: c.Health) -> Reply:
        ps = [self._program(ctx, r.program)] if r.program else s.programs(ctx.session, ctx.ws)
        if not ps:
            return Reply(text="No programs yet.", title="Circle health")
        return health_reply(ctx.session, ps, self.clock())

    def _do_Rematch(self, ctx: Ctx, r: c.Rematch) -> Reply:
        m = s.find_member(ctx.session, ctx.ws, r.member.external_id, r.member.name)
        source, target, why = s.rematch_target(ctx.session, m, self.today())
        pa = s.request_confirmation(ctx.session, ctx.me, "rematch",
                                    {"member": m.id, "from": source.id, "to": target.id})
        return Reply(text=f"Move {m.display_name} from {source.name} to {target.name}? {why}",
                     tone="warning", buttons=[Button("Move them", "confirm_rematch", str(pa.id), "primary"),
                                              Button("Cancel", "cancel", str(pa.id))])

    def _do_CoordinatorsAdd(self, ctx: Ctx, r: c.CoordinatorsAdd) -> Reply:
        m = s.find_member(ctx.session, ctx.ws, r.member.external_id, r.member.name)
        if m.is_coordinator:
            raise s.DomainError(f"{m.display_name} is already a coordinator.")
        m.is_coordinator = True
        s.audit(ctx.session, ctx.ws.id, ctx.me.id, "coordinator.added", {"member": m.id})
        return ok(f"{m.display_name} is now a coordinator.")

    def _do_CoordinatorsList(self, ctx: Ctx, r: c.CoordinatorsList) -> Reply:
        names = [m.display_name for m in s.coordinators(ctx.session, ctx.ws)]
        extra = " Workspace admins are coordinators too." if ctx.who.platform != "console" else ""
        return Reply(text=(", ".join(names) or "No coordinators have been added yet.") + extra,
                     title="Coordinators")

    # ------------------------------------------------------- buttons & forms

    def _action(self, ctx: Ctx, action: str, value: str) -> Reply:
        try:
            if action in ("pulse", "checkin"):
                cid, cycle, what = value.split(":")
                circle = s.require_circle_member(ctx.session, ctx.me, int(cid))
                if action == "pulse":
                    return self._pulse(ctx, circle, int(cycle), int(what), "")
                return self._checkin(ctx, circle, int(cycle), what)
            if action == "pulse_comment":
                return Reply(text="", form=Form("pulse_comment", "Pulse comment", [
                    FormField("comment", "What made this week good or hard?", "long_text", required=True)],
                    "Send", value))
            if action == "answer":
                post = s.post_by_id(ctx.session, ctx.ws, int(value))
                s.require_circle_member(ctx.session, ctx.me, post.circle_id)
                return Reply(text="", form=Form("answer", "Your answer", [
                    FormField("answer", post.text[:45] + ("…" if len(post.text) > 45 else ""), "long_text",
                              required=True)], "Send", value))
            if action == "profile_edit":
                return self._do_ProfileEdit(ctx, c.ProfileEdit())
            if action == "cancel":
                s.take_confirmation(ctx.session, ctx.me, int(value), _kind_of(ctx, int(value)))
                return Reply(text="Cancelled. Nothing changed.")
            if action == "confirm_leave":
                s.take_confirmation(ctx.session, ctx.me, int(value), "leave")
                left = s.leave(ctx.session, ctx.me)
                where = f" You left {', '.join(x.name for x in left)}." if left else ""
                return ok(f"Done.{where} You can `/circle join` again any time.")
            if action == "confirm_rematch":
                if not ctx.is_coordinator:
                    return error("Only coordinators can confirm a rematch.")
                pa = s.take_confirmation(ctx.session, ctx.me, int(value), "rematch")
                m = ctx.session.get(Member, pa.data["member"])
                src, dst = ctx.session.get(Circle, pa.data["from"]), ctx.session.get(Circle, pa.data["to"])
                assert m is not None and src is not None and dst is not None
                s.move_member(ctx.session, m, src, dst)
                return ok(f"Moved {m.display_name} to {dst.name}; they've been told.")
            if action in ("publish_round", "reshuffle_round"):
                if not ctx.is_coordinator:
                    return error("Only coordinators can do that.")
                p = ctx.session.get(Program, int(value))
                if p is None or p.workspace_id != ctx.ws.id:
                    raise s.DomainError("That program no longer exists.")
                if action == "publish_round":
                    return self._publish(ctx, p)
                return self._do_RoundPreview(ctx, c.RoundPreview(program=p.name,
                                                                 seed=int(self.clock().timestamp()) % 2**31))
            if action in ("goal_done", "goal_keep"):
                g = ctx.session.get(Goal, int(value))
                if g is None or g.member_id != ctx.me.id:
                    raise s.DomainError("That isn't one of your goals.")
                if action == "goal_done":
                    g.done = True
                    return ok(f"🎉 Goal {g.number} done: {g.text}")
                return ok(f"Keep going! Goal {g.number} stays open.")
        except (ValueError, KeyError):
            return error("I couldn't understand that button press. Please try the command instead.")
        return error(f"Unknown action '{action}'.")

    def _form(self, ctx: Ctx, form_id: str, context: str, values: dict[str, str | list[str]]) -> Reply:
        def text(name: str) -> str:
            v = values.get(name, "")
            return ", ".join(v) if isinstance(v, list) else (v or "")

        if form_id == "profile":
            raw = {k: text(k) for k in c.PROFILE_KEYS if k in values}
            note = self._save_profile(ctx, c.parse_profile_values(raw))
            return ok("Profile saved." + (note or " You'll be matched when the next round is formed."))
        if form_id == "answer":
            post = s.post_by_id(ctx.session, ctx.ws, int(context))
            _, replaced = s.record_response(ctx.session, ctx.me, post, c.check_text(text("answer"), "answer"))
            return ok("Updated your answer." if replaced else "Thanks, your answer is recorded.")
        if form_id == "pulse_comment":
            cid, cycle = context.split(":")
            circle = s.require_circle_member(ctx.session, ctx.me, int(cid))
            comment = c.check_text(text("comment"), "comment")
            row = ctx.session.scalar(select(Pulse).where(Pulse.circle_id == circle.id, Pulse.cycle == int(cycle),
                                                         Pulse.member_id == ctx.me.id))
            if row is None:
                raise s.DomainError("Rate the week first (1–5), then add a comment.")
            row.comment = comment
            return ok("Thanks for the comment.")
        return error(f"Unknown form '{form_id}'.")


class _NotAPrompt(Exception):
    pass


def _kind_of(ctx: Ctx, pending_id: int) -> str:
    pa = ctx.session.get(PendingAction, pending_id)
    return pa.kind if pa is not None else "leave"


class Ctx:
    """Everything a handler needs about the current request."""

    def __init__(self, session: Session, ws: Workspace, me: Member, who: Identity, bot: CircleBot) -> None:
        self.session = session
        self.ws = ws
        self.me = me
        self.who = who
        self.bot = bot

    @property
    def is_coordinator(self) -> bool:
        return self.me.is_coordinator or self.who.is_admin


def health_reply(session: Session, ps: list[Program], now: dt.datetime) -> Reply:
    # LEAD: wire through a use case; the words live in bot.presenters.health now
    from bot.presenters.health import health_reply as present

    return present([health_mod.program_health(session, p, now) for p in ps])
