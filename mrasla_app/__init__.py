"""Mrasla (مراسلة): digital administrative correspondence platform."""
