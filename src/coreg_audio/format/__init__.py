"""Reading and checking practice scripts: the format's definition, the reader, the schema.

``loader`` composes the YAML with lines and columns; ``reader`` walks the
format's definition over it (``toplevel``, ``patterns``, ``voices``, ``sounds``
and the step kinds in ``steps``, ``breathe`` and ``movement``, written with
``keys`` and ``values``) into the frozen records of ``model``; ``validate``
checks the whole script; ``schema`` projects the same definition into JSON
Schema; ``overrides`` applies one run's options. docs/architecture.md shows
how a step kind is added.
"""
