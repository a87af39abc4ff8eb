"""Shared parts of the benchmark scripts and of run_all.py: the open-loop client of
bench_service.py, the machine and version header, the sections run_all runs, and the renderer
that turns their JSON into BENCHMARKS.md."""
