"""Compatibility re-exports: the fake Slack now lives in ``tests.fakes.slack``."""

from tests.fakes.slack.blockkit import all_mrkdwn, pings, text_of
from tests.fakes.slack.harness import SlackHarness, seen, slack_harness
from tests.fakes.slack.server import FakeSlack, required_args
from tests.fakes.slack.sim import SlackSim
from tests.fakes.slack.state import Call, Rule, Team

__all__ = ["Call", "FakeSlack", "Rule", "SlackHarness", "SlackSim", "Team", "all_mrkdwn",
           "pings", "required_args", "seen", "slack_harness", "text_of"]
