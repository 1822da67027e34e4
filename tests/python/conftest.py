"""Shared fixtures: nothing here may import objects into the measured heap
that a test then expects to be absent."""
