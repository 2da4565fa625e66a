"""Replay access logs through the function: sources (files, S3, formats), the run in V8
with its workers and summary, and the report that plans a window."""
