"""Program evaluation: weekly series for charts and the CSV export, from SQL aggregates.

Everything here is scoped by workspace and returns facts (dataclasses, rows of plain
values); the bot draws the chart and words the replies."""
