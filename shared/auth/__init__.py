"""Sign-in for people (Google, or dev mode) and API keys for systems, shared by every service.

- :mod:`shared.auth.principal`: who is calling, roles and scopes.
- :mod:`shared.auth.signing`: Beacon's token keys (configured, or a dev keypair file).
- :mod:`shared.auth.tokens`: issue and verify Beacon access tokens (EdDSA JWTs).
- :mod:`shared.auth.google`: verify Google ID tokens against Google's published keys.
- :mod:`shared.auth.apikeys`: ``bk_`` keys, their hashes, each service's copy of them.
- :mod:`shared.auth.dependency`: the one FastAPI dependency that closes every API route.
"""
