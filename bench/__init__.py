"""Benchmarks and the demo/bench data generator.

``python -m bench.datagen load ...`` loads seeded demo data into a running ingest service;
``python -m bench.ingest`` measures ingest throughput and latency (see docs/performance.md).
"""

import os

# The benches start a local box of services, which refuse to start without an exact
# BEACON_ENV: development unless the caller chose (as `make bench-*` and the tests do).
os.environ.setdefault("BEACON_ENV", "development")
