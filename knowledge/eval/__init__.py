"""Held-out evaluation (``python -m knowledge.eval``) and threshold calibration of FAQ retrieval."""
