"""A fake Slack (Web API, response_url hooks, Socket Mode) and the harness that drives the
real Bolt app against it. Modules: ``state`` (workspace data), ``web_api`` (the methods),
``blockkit`` (limits and readers), ``server`` (HTTP + websocket), ``sim`` (Slack's side of
a request), ``harness`` (``SlackHarness``: ``say``/``settled``)."""
