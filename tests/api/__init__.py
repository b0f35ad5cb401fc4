"""Tests of the HTTP service and its pages, on both stores."""
