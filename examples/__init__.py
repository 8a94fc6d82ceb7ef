"""Runnable examples; ``python -m examples`` serves them on http://127.0.0.1:8000."""
