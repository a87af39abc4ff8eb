"""Recommendation models: ALS."""
