"""python -m beacon_cli: the same as the beacon command."""

from beacon_cli.main import run

run()
