"""A fake Discord REST API and the harness that drives a real discord.py client against it.
Modules: ``payloads`` (objects and gateway payloads: the pinned private-API shapes),
``limits`` (Discord's answers and limits), ``server`` (the REST fake), ``harness``
(``DiscordHarness``: ``say``/``settled``)."""
