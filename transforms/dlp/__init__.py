"""Cloud DLP: its messages (``convert``: veilwatch configs to and from DLP templates) and the API as an engine."""
