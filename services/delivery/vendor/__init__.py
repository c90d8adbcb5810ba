"""The vendor simulator: a stand-in for the messaging vendor, for local runs and tests.

``python -m services.delivery vendor`` (port 8009). No database: it keeps what it has seen
in memory. See :mod:`services.delivery.vendor.app` for the HTTP API.
"""
