"""Helpers of the identity accuracy benchmark (bench_identity_accuracy.py)."""
