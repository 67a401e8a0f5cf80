"""Test cases: their metadata, reusable states, and the runner."""
