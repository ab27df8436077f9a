"""Buttons and modals.

Buttons are ``DynamicItem``s: everything a press needs is in the custom id
(``circle:{action}:{value}``, or ``circle@{guild}:{action}:{value}`` on messages sent by DM,
where Discord tells us no guild), so a press on a week-old message works after any number
of restarts with no view state kept in memory.

Modals carry at most 5 inputs; a longer Form is split into pages. Discord can't open a modal
in answer to a modal, so between pages the member gets a "Continue" button. Pages filled so
far wait in memory (``PendingForms``): a restart between pages means starting the form again.

Actions starting with ``_`` are the adapter's own (continue a paged form); all others go
to the core's ``handle_action``.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord.render import BUTTON_STYLES
from adapters.discord.respond import client_of, identity, run_and_reply, send_reply
from bot.replies import Button, Form, FormField, Reply

if TYPE_CHECKING:
    from adapters.discord.client import CircleClient

CUSTOM_ID_MAX = 100
MODAL_INPUTS_MAX = 5
MODAL_TITLE_MAX = 45
LABEL_MAX = 45
SELECT_OPTIONS_MAX = 25
FORM_NEXT = "_form"
MODAL_PREFIX = "circleform:"
EXPIRED = Reply(text="That form has expired (I may have restarted). Please start it again.", tone="warning")


class CircleButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"circle(?:@(?P<guild>\d+))?:(?P<action>[A-Za-z0-9_.-]+):(?P<value>.*)",
):
    def __init__(
        self,
        action: str,
        value: str = "",
        *,
        guild: str | None = None,
        label: str = "…",
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
    ) -> None:
        self.action, self.value, self.guild = action, value, guild
        custom_id = custom_id_for(action, value, guild)
        super().__init__(discord.ui.Button(label=label[:80], style=style, custom_id=custom_id))

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> CircleButton:
        return cls(match["action"], match["value"], guild=match["guild"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = client_of(interaction)
        if self.action == FORM_NEXT:
            await _continue_form(interaction, self.value)
            return
        who = identity(interaction, self.guild)
        work = client.core.handle_action(who, self.action, self.value)
        await run_and_reply(interaction, work, self.guild)


def custom_id_for(action: str, value: str, guild: str | None = None) -> str:
    custom_id = f"circle@{guild}:{action}:{value}" if guild else f"circle:{action}:{value}"
    if len(custom_id) > CUSTOM_ID_MAX:
        raise ValueError(f"button custom id over {CUSTOM_ID_MAX} chars: {custom_id[:40]}…")
    return custom_id


def build_view(buttons: list[Button], guild: str | None = None) -> discord.ui.View:
    """A persistent (timeout=None) view: rows of up to 5 buttons, in the Reply's order."""
    view = discord.ui.View(timeout=None)
    for i, b in enumerate(buttons):
        style = BUTTON_STYLES.get(b.style, discord.ButtonStyle.secondary)
        item = CircleButton(b.action, b.value, guild=guild, label=b.label, style=style)
        item.row = i // 5
        view.add_item(item)
    return view


# ---------------------------------------------------------------------------- forms


@dataclass
class PendingForm:
    form: Form
    user: str
    guild: str | None = None
    page: int = 0
    values: dict[str, str | list[str]] = field(default_factory=dict)

    @property
    def pages(self) -> list[list[FormField]]:
        fs = self.form.fields
        return [fs[i : i + MODAL_INPUTS_MAX] for i in range(0, len(fs), MODAL_INPUTS_MAX)] or [[]]


class PendingForms:
    """Forms between pages, and forms waiting behind an "Open the form" button."""

    LIMIT = 10_000  # abandoned forms must not grow without bound

    def __init__(self) -> None:
        self._by_token: dict[str, PendingForm] = {}
        self._issued: dict[str, None] = {}  # every token this process made (insertion order)

    def add(self, pending: PendingForm) -> str:
        for store in (self._by_token, self._issued):
            if len(store) > self.LIMIT:
                store.pop(next(iter(store)))
        token = secrets.token_urlsafe(9)
        self._by_token[token] = pending
        self._issued[token] = None
        return token

    def issued(self, token: str) -> bool:
        """False for a modal opened before a restart: its submit has no handler any more."""
        return token in self._issued

    def get(self, token: str) -> PendingForm | None:
        return self._by_token.get(token)

    def pop(self, token: str) -> PendingForm | None:
        return self._by_token.pop(token, None)


def open_form_button(client: CircleClient, form: Form, guild: str | None = None) -> Button:
    token = client.pending_forms.add(PendingForm(form=form, user="", guild=guild))
    return Button(label="Open the form", action=FORM_NEXT, value=token, style="primary")


async def send_form(
    interaction: discord.Interaction[Any], form: Form, guild: str | None = None
) -> None:
    pending = PendingForm(form=form, user=str(interaction.user.id), guild=guild)
    token = client_of(interaction).pending_forms.add(pending)
    await interaction.response.send_modal(FormModal(token, pending))


async def _continue_form(interaction: discord.Interaction[Any], token: str) -> None:
    pending = client_of(interaction).pending_forms.get(token)
    if pending is None:
        await send_reply(interaction, EXPIRED)
        return
    pending.user = str(interaction.user.id)
    await interaction.response.send_modal(FormModal(token, pending))


class FormModal(discord.ui.Modal):
    """One page of a Form."""

    def __init__(self, token: str, pending: PendingForm) -> None:
        pages = pending.pages
        title = pending.form.title
        if len(pages) > 1:
            title = f"{title[: MODAL_TITLE_MAX - 6]} ({pending.page + 1}/{len(pages)})"
        super().__init__(
            title=title[:MODAL_TITLE_MAX] or "Form", timeout=None, custom_id=f"{MODAL_PREFIX}{token}"
        )
        self.token, self.pending = token, pending
        self.inputs: dict[str, discord.ui.TextInput[Any] | discord.ui.Select[Any]] = {}
        for f in pages[pending.page]:
            component = _component(f, pending.values.get(f.name))
            self.inputs[f.name] = component
            self.add_item(discord.ui.Label(text=f.label[:LABEL_MAX], component=component))

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        client = client_of(interaction)
        pending = self.pending
        typed: dict[str, str | list[str]] = {}
        for name, component in self.inputs.items():
            if isinstance(component, discord.ui.Select):
                multi = next(f for f in pending.form.fields if f.name == name).kind == "multi_select"
                typed[name] = list(component.values) if multi else (component.values or [""])[0]
            else:
                typed[name] = component.value
        pending.values.update(typed)  # kept even when wrong: the page re-opens with them
        errors = client.core.check_form(pending.form.form_id, pending.form.context, typed)
        if errors:
            await send_reply(interaction, page_errors(pending, self.token, errors), pending.guild)
            return
        pending.page += 1
        if pending.page < len(pending.pages):
            button = Button(
                label=f"Continue ({pending.page + 1}/{len(pending.pages)})",
                action=FORM_NEXT,
                value=self.token,
                style="primary",
            )
            await send_reply(interaction, Reply(text="Saved this page.", buttons=[button]), pending.guild)
            return
        client.pending_forms.pop(self.token)
        who = identity(interaction, pending.guild)
        form = pending.form
        work = client.core.handle_form(who, form.form_id, form.context, dict(pending.values))
        await run_and_reply(interaction, work, pending.guild)


def page_errors(pending: PendingForm, token: str, errors: dict[str, str]) -> Reply:
    """What a member sees when a page has mistakes: each one by its field's label, and a
    button that opens the same page again with everything they typed still in it (Discord
    can't answer a modal with a modal)."""
    labels = {f.name: f.label for f in pending.form.fields}
    lines = [f"**{labels.get(name, name)}**: {message}" for name, message in errors.items()]
    pages = len(pending.pages)
    where = f" ({pending.page + 1}/{pages})" if pages > 1 else ""
    fix = Button(label=f"Fix this page{where}", action=FORM_NEXT, value=token, style="primary")
    return Reply(text="Almost there: please fix this and send the page again.\n" + "\n".join(lines),
                 tone="error", buttons=[fix])


def _component(f: FormField, typed: str | list[str] | None = None
               ) -> discord.ui.TextInput[Any] | discord.ui.Select[Any]:
    if typed is not None:  # what the member typed on this page before, right or wrong
        f = FormField(f.name, f.label, f.kind, f.options, typed, f.required, f.placeholder,
                      f.max_length)
    if f.kind in ("select", "multi_select") and f.options:
        initial = f.initial if isinstance(f.initial, list) else [f.initial]
        options = [
            discord.SelectOption(label=label[:100] or value[:100], value=value[:100], default=value in initial)
            for value, label in f.options[:SELECT_OPTIONS_MAX]
        ]
        multi = f.kind == "multi_select"
        return discord.ui.Select(
            custom_id=f.name,
            options=options,
            min_values=1 if f.required else 0,
            max_values=len(options) if multi else 1,
            required=f.required,
            placeholder=f.placeholder[:150] or None,
        )
    initial = ", ".join(f.initial) if isinstance(f.initial, list) else f.initial
    style = discord.TextStyle.paragraph if f.kind == "long_text" else discord.TextStyle.short
    return discord.ui.TextInput(
        custom_id=f.name,
        style=style,
        default=initial[:4000] or None,
        required=f.required,
        placeholder=f.placeholder[:100] or None,
        max_length=min(f.max_length, 4000),
    )


async def answer_orphan_modal(interaction: discord.Interaction[Any]) -> None:
    """A modal submitted after a restart has no handler: say so instead of letting Discord
    show "This interaction failed"."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return
    custom_id = str((interaction.data or {}).get("custom_id", ""))
    if not custom_id.startswith(MODAL_PREFIX):
        return
    if client_of(interaction).pending_forms.issued(custom_id[len(MODAL_PREFIX) :]):
        return
    await send_reply(interaction, EXPIRED)
