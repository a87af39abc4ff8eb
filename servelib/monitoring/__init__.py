"""Monitoring: sampled prediction logs (logger.py, sinks.py), outcome joins and live metrics."""
