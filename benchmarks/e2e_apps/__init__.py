"""The two servers that ``benchmarks/e2e.py`` loads: the same counter on our runtime and on pyview-web."""
