"""The toy client's raw-response twins (``scripts/generate_sync.py`` writes ``toy.py``)."""
