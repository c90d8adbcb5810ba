"""Ingest's pure logic: what a valid customer and order are, and the events about them."""
