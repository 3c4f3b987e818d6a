"""The benchmark harness: a realistic portfolio generator and timed runs (see README)."""
