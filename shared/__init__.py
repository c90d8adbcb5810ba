"""Code common to every Beacon service: settings, logging, database, events, outbox, inbox, health.

Nothing in here knows about a particular service, and no service imports another.
"""
