"""Benchmarks at chain scale: ``python -m bench all --scale 1m|10m`` (see docs/benchmarks.md)."""
