"""report.html: one self-contained page drawn from a run's already PII-free outputs."""
