"""The example counter served by our runtime, for ``benchmarks/e2e.py``.

    python -m uvicorn benchmarks.e2e_apps.ours:app --host 127.0.0.1 --port 8001 --workers 1

The secret is fixed so that every run signs tokens the same way (this app is a benchmark target,
never a deployment).
"""

from __future__ import annotations

from examples.counter.counter import CounterLiveView
from pyview_core import PyView

SECRET_KEY = "e2e-benchmark-secret-not-for-production-01234567"  # 48 characters

app = PyView(secret_key=SECRET_KEY)
app.add_live_view("/counter", CounterLiveView)
