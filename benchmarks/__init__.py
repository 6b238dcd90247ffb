"""The benchmark suite: `python -m benchmarks` (see README, Performance). Not a test; prints one table."""
