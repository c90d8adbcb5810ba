"""Ingest: takes in customers and orders, the system of record for both."""
