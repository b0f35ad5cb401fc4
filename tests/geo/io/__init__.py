"""Tests of imports and exports (geo.io)."""
