"""Benchmarks and the demo/bench data generator.

``python -m bench.datagen load ...`` loads seeded demo data into a running ingest service;
``python -m bench.ingest`` measures ingest throughput and latency (see docs/performance.md).
"""
