"""The toy client's generated sync facade (``scripts/generate_sync.py`` writes ``toy.py``)."""
