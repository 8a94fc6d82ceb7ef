"""The LiveView app that ``benchmarks/pubsub.py`` serves (see ``app.py``)."""
