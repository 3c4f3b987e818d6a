"""Runway watches itself: a Prometheus ``/metrics`` endpoint.

Nothing below this app imports it (core <- ... <- inventory <- telemetry <- portal).
It observes the other apps from the outside: requests through a middleware, Celery
task failures through Celery's signal, and the rest by reading the database and the
broker when Prometheus scrapes.
"""
