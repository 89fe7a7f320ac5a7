"""Test servers and helpers shared by several test packages."""
