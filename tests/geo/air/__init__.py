"""Tests of air quality at the stations (geo.air)."""
