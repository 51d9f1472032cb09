"""The output layer: report documents, their sections, and one renderer per format.

``document`` builds the JSON-able report document from a :class:`~htptui.analysis.run.RunAnalysis`
(the registry of sections is the explicit list in ``sections``); ``blocks`` is the format-neutral
layout (headings, tables, lines) that sections and the core report lay out; ``text``, ``markdown``,
``json`` and ``diff`` each render one format. Nothing here exits the process: bad input raises
:class:`~htptui.errors.InputError` and the command decides.
"""
