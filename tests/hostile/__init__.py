"""Hostile inputs for the hardening tests, built in the tests' own temporary folders."""
