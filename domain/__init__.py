"""The domain: aggregates, their events, guards and errors. No I/O, no framework."""
