"""Segments: customer profiles (read model), audience rules, previews, audience resolution."""
