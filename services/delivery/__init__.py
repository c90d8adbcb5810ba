"""Delivery: writes the communications log, sends messages to the vendor, applies receipts."""
