"""Segments' tables and every SQL query it runs."""
