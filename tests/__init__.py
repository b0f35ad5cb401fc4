"""Zonewatch's test suite: tests mirror the packages (geo, api, maps)."""
