"""Marketplace ELT platform."""
