"""The agent lifecycle domain: the `Agent` aggregate, its events, value objects and rules.

Pure: nothing here performs I/O or knows about HTTP, storage or messaging.
"""
