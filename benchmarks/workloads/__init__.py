"""Benchmark workloads: one module each, in the plugin format described in benchmarks/README.md."""
