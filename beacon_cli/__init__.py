"""The ``beacon`` command: load a shop's data, look at audiences and campaigns, tend dead letters.

It talks to Beacon only over HTTP and WebSocket (and, for dead letters, AMQP): it imports no
service code, so it can be installed on a machine that runs none of them.
"""
