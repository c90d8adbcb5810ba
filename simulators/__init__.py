"""Stand-ins for the outside world Beacon talks to, for local runs, tests and benchmarks.

Not part of any service: nothing in ``services`` imports them (import-linter).
"""
