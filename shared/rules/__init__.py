"""Audience rules, the contract shared by segments (which evaluates them) and campaigns
(which validates them at creation with the same parser): pure logic, no I/O.

fields    the field catalogue and `GET /api/v1/segments/fields` description, the limits
values    typed values of a rule (numbers, money, days, dates, text) with their bounds
rules     parse/validate react-querybuilder JSON into `Group`/`Condition`, and back
"""
