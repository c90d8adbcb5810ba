"""The vendor simulator: a stand-in for the messaging vendor, for local runs and tests.

``python -m simulators.vendor [--port N]`` (port ``BEACON_VENDOR_PORT``, 8009). No database,
no broker: it keeps what it has seen in memory. See :mod:`simulators.vendor.app` for the
HTTP API and :mod:`simulators.vendor.settings` for its ``BEACON_VENDOR_*`` settings.
"""
