"""Words for joining, profiles, pausing, leaving and a member's status."""

from __future__ import annotations

import datetime as dt

from bot.actions import AnswerPrompt, Cancel, ConfirmLeave, EditProfile, ProfileForm, form_id
from bot.presenters.why import waitlist_reason, why_text
from bot.replies import Button, Field, Form, FormField, Reply, Section, ok
from circles.rules import EXPERIENCE, MAX_DEPARTMENT
from circles.usecases.membership import Joined, LeavePlan, ProfileView, Status
from circles.usecases.placement import Placement

ROLE_LABELS = {"peer": "Peer", "mentor": "Mentor", "mentee": "Mentee", "skill-swap": "Skill swap"}


def edit_profile_button() -> Button:
    return Button("Edit profile", *EditProfile().encode(), "primary")


def placement_note(p: Placement | None) -> str:
    if p is None:
        return ""
    if p.circle_name is None:
        return f" You're on the waitlist for the next round of {p.program_name}: {waitlist_reason(p.why)}."
    why = why_text(p.reason) if p.reason is not None else p.why
    return f" You've joined **{p.circle_name}**, which had room. Why: {why}"


def role_field(p: ProfileView) -> list[FormField]:
    """The role is per program: the form edits the one in the program joined last (and says
    which); someone in no program yet has no role to set."""
    if not p.roles:
        return []
    label = f"Role in {p.role_program}"[:45] if p.role_program else "Role"
    return [FormField("role", label, "select", list(ROLE_LABELS.items()), p.role, True)]


def roles_text(p: ProfileView | Status) -> str:
    """"Mentor in Pods, Peer in Peer circles"."""
    return ", ".join(f"{ROLE_LABELS.get(r.role, r.role)} in {r.program}" for r in p.roles)


def profile_form(p: ProfileView) -> Form:
    avail = ", ".join(f"{d} {a}-{b}" for d, a, b in p.availability)
    fid, context = form_id(ProfileForm())
    return Form(fid, "Your circle profile", [
        *role_field(p),
        FormField("experience", f"Experience ({EXPERIENCE.lo} new … {EXPERIENCE.hi} expert)",
                  "select", [(str(i), str(i)) for i in range(EXPERIENCE.lo, EXPERIENCE.hi + 1)], str(p.experience), True),
        FormField("department", "Team or department", initial=p.department,
                  max_length=MAX_DEPARTMENT),
        FormField("interests", "Interests (comma separated)", "long_text",
                  initial=", ".join(p.interests), placeholder="public speaking, rust, leadership"),
        FormField("goals", "Goals (comma separated)", "long_text", initial=", ".join(p.goals)),
        FormField("offers", "Skills you can offer", "long_text", initial=", ".join(p.offers)),
        FormField("wants", "Skills you want to learn", "long_text", initial=", ".join(p.wants)),
        FormField("timezone", "Time zone (IANA, e.g. Europe/Berlin)", initial=p.timezone,
                  required=True),
        FormField("availability", "Weekly availability", initial=avail,
                  placeholder="mon 9-12, wed 14-17 or weekdays 9-17"),
    ], submit_label="Save", context=context)


def joined(j: Joined, profile: ProfileView) -> Reply:
    where = f' "{j.program_name}"' if j.program_name else ""
    role = ROLE_LABELS[j.role].lower()
    if j.already:
        return Reply(text=f"You've already joined{where} as {role}. "
                          "Use `/circle profile` to review your profile.", tone="warning")
    others = [r for r in profile.roles if r.program != j.program_name]
    elsewhere = (" Your role in " + ", ".join(f"{r.program} stays {ROLE_LABELS.get(r.role, r.role).lower()}"
                                              for r in others) + ".") if others else ""
    if j.returning:
        note = placement_note(j.placement) or " You'll be matched when the next round is formed."
        hello = "Welcome back! " if j.welcome_back else ""
        return ok(f"{hello}You joined{where} as {role}.{elsewhere}{note}")
    return Reply(text=f"Welcome! You joined{where} as {role}.{elsewhere} "
                      "Tell us a little about yourself so we can match you well.",
                 tone="success", form=profile_form(profile),
                 buttons=[Button("Fill in my profile", *EditProfile().encode(), "primary")])


def profile(p: ProfileView) -> Reply:
    fields = [
        Field("Role", roles_text(p) or "not in a program yet"),
        Field("Experience", f"{p.experience}/5"),
        Field("Department", p.department or "—"), Field("Time zone", p.timezone),
        Field("Interests", ", ".join(p.interests) or "—", False),
        Field("Goals", ", ".join(p.goals) or "—", False),
        Field("Offers", ", ".join(p.offers) or "—", False),
        Field("Wants", ", ".join(p.wants) or "—", False),
        Field("Availability", ", ".join(f"{d} {a}-{b}" for d, a, b in p.availability) or "not set",
              False),
    ]
    mentoring = [r for r in p.roles if r.role == "mentor"]
    if mentoring:
        fields.append(Field("Mentee capacity", ", ".join(
            f"{r.mentor_capacity} in {r.program}" if len(p.roles) > 1 else str(r.mentor_capacity)
            for r in mentoring)))
    if p.never_with:
        fields.append(Field("Never matched with", ", ".join(p.never_with), False))
    return Reply(text="Only you can see this.", title="Your profile", fields=fields,
                 buttons=[edit_profile_button()])


def opening_profile(p: ProfileView) -> Reply:
    return Reply(text="Opening your profile…", form=profile_form(p))


PROFILE_WORDS = {"avoid": "never with", "mentor_capacity": "mentor capacity",
                 "skills_offered": "skills you offer", "skills_wanted": "skills you want",
                 "timezone": "time zone"}


def profile_set(keys: list[str], placement: Placement | None, program: str | None = None) -> Reply:
    names = sorted(PROFILE_WORDS.get(k, k) for k in keys if k != "program")
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    where = f" for {program} (your other programs keep theirs)" if program else ""
    return ok(f"Saved your {listed}{where}.{placement_note(placement)}")


def profile_saved(placement: Placement | None) -> Reply:
    return ok("Profile saved." + (placement_note(placement)
                                  or " You'll be matched when the next round is formed."))


def paused(until: dt.date) -> Reply:
    return ok(f"Paused until {until.isoformat()}. No prompts, nudges or matching until then; "
              "`/circle resume` to come back sooner.")


def resumed() -> Reply:
    return ok("Welcome back! You'll get prompts and be matched again.")


def confirm_leave(plan: LeavePlan) -> Reply:
    where = f" You'll leave {', '.join(plan.circles)}." if plan.circles else ""
    return Reply(text=f"Are you sure you want to leave?{where} Your answers and goals are kept.",
                 tone="warning",
                 buttons=[Button("Yes, leave", *ConfirmLeave(plan.pending_id).encode(), "danger"),
                          Button("Stay", *Cancel(plan.pending_id).encode())])


def left(circles: list[str]) -> Reply:
    where = f" You left {', '.join(circles)}." if circles else ""
    return ok(f"Done.{where} You can `/circle join` again any time.")


def cancelled() -> Reply:
    return Reply(text="Cancelled. Nothing changed.")


def status_sections(st: Status) -> list[Section]:
    sections = []
    if st.paused_until:
        sections.append(Section(f"Paused until {st.paused_until.isoformat()}.", "Paused"))
    if st.circles:
        lines = [f"• **{name}** with {', '.join(others) or 'nobody yet'}" for name, others in st.circles]
        sections.append(Section("\n".join(lines), "My circles"))
    else:
        sections.append(Section("You'll be placed in a circle when the next round is published.",
                                "My circles"))
    if st.roles:
        sections.append(Section(roles_text(st), "My programs"))
    if st.prompt:
        state = "answered ✓" if st.answered else "not answered yet"
        sections.append(Section(f"{st.prompt.text} ({state})", f"Week {st.prompt.cycle} prompt"))
    if st.goals:
        sections.append(Section("\n".join(
            f"{g.number}. {g.text}" + (f" (by {g.due_on.isoformat()})" if g.due_on else "")
            for g in st.goals), "My open goals"))
    return sections


def status(st: Status) -> Reply:
    if not st.enrolled:
        return Reply(text="You haven't joined yet. `/circle join` to get started.", title="Your status")
    buttons = ([Button("Answer the prompt", *AnswerPrompt(st.prompt.post_id).encode(), "primary")]
               if st.prompt and not st.answered else [])
    return Reply(text="Only you can see this.", title="Your status", sections=status_sections(st),
                 buttons=buttons)
