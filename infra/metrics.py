"""Prometheus metrics of the process (served at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MESSAGES_IN = Counter(
    "switchboard_messages_in_total", "Client messages accepted from gateways", ["channel"]
)
DUPLICATES = Counter(
    "switchboard_duplicate_deliveries_total", "Repeated gateway deliveries that changed nothing",
    ["channel"],
)
EVENTS_APPENDED = Counter("switchboard_events_appended_total", "Events stored by the writer")
WRITER_BATCH = Histogram(
    "switchboard_writer_batch_commands", "Commands stored together in one transaction",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)
WRITER_RETRIES = Counter(
    "switchboard_writer_conflicts_total", "Batches refused by the store and run again"
)
PROJECTION_POSITION = Gauge(
    "switchboard_projection_position", "Last notification applied", ["projection"]
)
PROJECTION_LAG = Gauge(
    "switchboard_projection_lag_events", "Events not yet applied", ["projection"]
)
PROJECTION_EVENTS = Counter(
    "switchboard_projection_events_total", "Events applied", ["projection"]
)
REQUEST_LATENCY = Histogram(
    "switchboard_http_request_seconds", "HTTP request latency", ["method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
LIVE_SUBSCRIBERS = Gauge("switchboard_live_subscribers", "Open GraphQL subscriptions")
DELIVERY_REPORTS = Counter(
    "switchboard_delivery_reports_total", "Delivery reports from gateways", ["channel", "status"]
)
HELD_MESSAGES = Counter(
    "switchboard_held_messages_total", "Client messages kept while WhatsApp was out of service",
    ["channel"],
)
WEBHOOK_REFUSED = Counter(
    "switchboard_webhook_refused_total", "Webhook requests refused", ["webhook", "status"]
)
