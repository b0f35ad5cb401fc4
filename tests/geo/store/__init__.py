"""Tests of the stores: one contract suite for both, and each store's own."""
