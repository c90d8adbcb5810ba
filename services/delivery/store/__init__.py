"""Delivery's tables and every SQL query it runs."""
