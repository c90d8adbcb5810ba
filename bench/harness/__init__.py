"""The bench harness: what every benchmark under ``bench/`` shares (issue 11).

* :mod:`.processes`: service child processes (start, readiness, stop), migrations, py-spy;
* :mod:`.machine`: the machine, the database server, the code that ran, the load before;
* :mod:`.meters`: CPU seconds per role, whole-machine cores busy, peak RSS;
* :mod:`.dbwatch`: what MariaDB does meanwhile (commit probe, process list, polling);
* :mod:`.report`: percentiles, result tables (rich), markdown for docs/performance.md,
  running a bench and writing its JSON;
* :mod:`.http`: the load client (aiohttp, keep-alive, one connection per lane).

A bench module keeps only its scenario: what it loads, what it times, what it checks.
"""
