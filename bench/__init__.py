"""Benchmarks: see bench/README.md; `python bench/run_all.py` runs them all."""
