"""Block Kit rendering: user text can never ping, and no reply is ever too big for Slack."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack.render import (
    MAX_BLOCKS,
    escape,
    form_values,
    home_view,
    message_kwargs,
    modal_view,
    parse_action_id,
    reply_blocks,
)
from bot.replies import Button, Field, Form, FormField, Reply, Section
from tests.fakes.slack.blockkit import all_mrkdwn, pings


def test_user_text_is_escaped_so_broadcasts_and_mentions_never_ping() -> None:
    reply = Reply(text="<!channel> hi <@U999> & <https://evil|click> <!subteam^S1>",
                  title="<!here>", sections=[Section("<!everyone>", "<@U1>")],
                  fields=[Field("<!here>", "<@U2>")])
    kwargs = message_kwargs(reply)
    assert not [p for t in all_mrkdwn(kwargs) for p in pings(t)]
    assert "&lt;!channel&gt; hi &lt;@U999&gt; &amp; &lt;https://evil|click&gt;" in kwargs["text"]


def test_only_reply_mentions_become_real_mentions() -> None:
    kwargs = message_kwargs(Reply(text="Welcome <@U3>", mentions=["U1", "U2"]))
    found = {p for t in all_mrkdwn(kwargs) for p in pings(t)}
    assert found == {"@U1", "@U2"}


@settings(max_examples=200)
@given(st.text())
def test_no_text_whatsoever_can_ping(text: str) -> None:
    kwargs = message_kwargs(Reply(text=text, title=text, sections=[Section(text, text)],
                                  fields=[Field(text, text)]))
    assert not [p for t in all_mrkdwn(kwargs) for p in pings(t)]


def test_neutral_markup_becomes_mrkdwn() -> None:
    blocks = reply_blocks(Reply(text="**bold** _it_ `code`\n• item"))
    assert blocks[0]["text"]["text"] == "*bold* _it_ `code`\n• item"


def test_long_text_is_split_into_sections_that_fit() -> None:
    line = "word " * 100
    blocks = reply_blocks(Reply(text="\n".join([line] * 20)))
    assert len(blocks) > 1
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks)


def test_huge_replies_are_cut_to_50_blocks_with_a_note_and_keep_their_buttons() -> None:
    reply = Reply(text="x", sections=[Section(f"answer {i}", f"member {i}") for i in range(80)],
                  buttons=[Button("Answer", "answer", "1")])
    blocks = reply_blocks(reply)
    assert len(blocks) == MAX_BLOCKS
    assert blocks[-1]["type"] == "actions"
    assert "shortened to fit Slack" in blocks[-2]["elements"][0]["text"]


def test_labels_and_titles_are_trimmed_to_block_kit_limits() -> None:
    reply = Reply(text="t", title="T" * 500, buttons=[Button("B" * 200, "go", "v" * 5000)])
    blocks = reply_blocks(reply)
    assert len(blocks[0]["text"]["text"]) == 150
    button = blocks[-1]["elements"][0]
    assert len(button["text"]["text"]) <= 75 and len(button["value"]) <= 2000
    view = modal_view(Form("f", "A very long modal title indeed", [FormField("a", "L" * 3000)]),
                      {"c": "ctx"})
    assert len(view["title"]["text"]) <= 24 and len(view["blocks"][0]["label"]["text"]) <= 2000


def test_buttons_carry_action_and_value_and_survive_a_restart() -> None:
    reply = Reply(text="t", buttons=[Button("1", "pulse", "5:1:1"), Button("2", "pulse", "5:1:2")])
    elements = reply_blocks(reply)[-1]["elements"]
    assert len({e["action_id"] for e in elements}) == 2  # unique inside the message
    assert [parse_action_id(e["action_id"]) for e in elements] == ["pulse", "pulse"]
    assert [e["value"] for e in elements] == ["5:1:1", "5:1:2"]


def test_a_form_round_trips_through_a_view_submission() -> None:
    form = Form("profile", "Profile", [
        FormField("role", "Role", "select", [("peer", "Peer"), ("mentor", "Mentor")], "mentor"),
        FormField("tags", "Tags", "multi_select", [("a", "A"), ("b", "B")], ["b"]),
        FormField("bio", "Bio", "long_text", initial="hi"),
        FormField("n", "Number", "number", initial="3"),
        FormField("skills", "Skills", initial=["x", "y"]),
    ], context="42")
    view = modal_view(form, {"c": "42"})
    els = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert els["role"]["initial_option"]["value"] == "mentor"
    assert [o["value"] for o in els["tags"]["initial_options"]] == ["b"]
    assert els["bio"]["multiline"] and els["skills"]["initial_value"] == "x, y"
    state = {"values": {
        "role": {"value": {"type": "static_select", "selected_option": {"value": "peer"}}},
        "tags": {"value": {"type": "multi_static_select",
                           "selected_options": [{"value": "a"}, {"value": "b"}]}},
        "bio": {"value": {"type": "plain_text_input", "value": None}},
        "n": {"value": {"type": "number_input", "value": "4"}}}}
    assert form_values({"state": state}) == {"role": "peer", "tags": ["a", "b"], "bio": "",
                                             "n": "4"}


def test_the_home_tab_fits_in_100_blocks() -> None:
    big = Reply(text="x", sections=[Section(str(i)) for i in range(80)])
    view = home_view([big, big])
    assert view["type"] == "home" and len(view["blocks"]) <= 100


def test_escape_is_exactly_slacks_three_characters() -> None:
    assert escape("a & b < c > d * _ ~") == "a &amp; b &lt; c &gt; d * _ ~"
