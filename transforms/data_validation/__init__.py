"""TFDV statistics, schema and drift checks per event-time window (the optional ``data_validation`` stage).

    anonymized batches -> Arrow RecordBatches (one column per profiled field, plus the window)
      -> tfdv.GenerateStatistics, sliced per window
      -> schema (given, or inferred from the first windows) + drift against the previous window
      -> flagged-window records (the same shape as the metric anomalies)

In streaming, statistics are computed per Beam window instead (``streaming.py``:
``window_statistics.WindowStatisticsFn`` per window, then ``streaming_checks``, which
validates windows as they close, with the same checks).

Statistics are computed on de-identified records only, and never on scanned free
text; flagged records name the field and TFDV's anomaly type, never a value.
TensorFlow is imported only when the stage is configured.
"""
