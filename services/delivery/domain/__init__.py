"""Delivery's pure logic: templates, message statuses, receipts, signatures, pacing."""
