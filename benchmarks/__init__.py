"""Siyu benchmarks: each hot path measured against the raw engine under it, in the same run.

Run ``make bench`` (all) or ``make bench BENCH=name``; results print as ratios and are written
to ``benchmarks/results/<name>.json``. See docs/benchmarks.md for how to read them.
"""
