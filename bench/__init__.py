"""partbot benchmarks; run `python bench/run.py` from the repo root."""
