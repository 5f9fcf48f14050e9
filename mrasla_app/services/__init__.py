"""Domain services: plain Python, no Reflex. Each takes a DB session and an actor.

The Reflex states, pages and the REST API are thin adapters over these functions.
"""
