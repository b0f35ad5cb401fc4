"""Zonewatch."""
