"""Tests of the map pages, in a real headless Chromium where they draw."""
