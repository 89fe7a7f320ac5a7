"""Per-record processing: parse, validate, find and de-identify each record of a batch.

Above the engines it wires (records, detection, de-identification, DLP) and below the
composites that run it over batches; its own package so that ``records/`` and ``dlp/``
stay engines that nothing of theirs imports back (``tests/test_layering.py``).
"""
