"""The presentation core: how figures read, free of Textual and Rich.

``format`` turns numbers into text (the one place that does), ``columns`` holds one column spec per
table (name, unit, width priority, numeric value, formatted text), and ``tables`` builds those tables
from a :class:`~htptui.analysis.run.RunAnalysis`. The TUI, the text/Markdown report and the exports
all draw from here, so a label or a format changes in one place.
"""
