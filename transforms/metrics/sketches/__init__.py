"""Mergeable sketches for window metrics: bounded memory, combinable in any order."""
