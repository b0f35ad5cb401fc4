"""Tests of the domain package geo."""
