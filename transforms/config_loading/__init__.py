"""Loading a dataset config: the YAML document, the command line's overrides written into it, and
one validation that composes every engine's own parser (``loader``); the config's JSON Schema, built
from the same tables (``json_schema``).

A package of its own, above the engines, so that ``transforms.config`` (the config's types, errors
and readers) sits below them: the engines import the config model, and only this package imports both
(see ``tests/test_layering.py``).
"""
