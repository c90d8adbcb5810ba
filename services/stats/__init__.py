"""Stats: exact per-campaign counters, pushed live over WebSockets."""
