"""Campaigns: create and launch campaigns, follow each one to completion."""
