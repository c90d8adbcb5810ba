"""Stats' tables and every SQL query it runs."""
