"""Campaigns' pure logic: what a valid campaign is, and how its status moves."""
