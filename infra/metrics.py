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
WEBHOOK_STALE = Counter(
    "switchboard_webhook_stale_total",
    "Correctly signed deliveries refused as older than the gateway's retry horizon",
    ["channel"],
)
WEBHOOK_ITEMS_REFUSED = Counter(
    "switchboard_webhook_items_refused_total",
    "Items of an accepted webhook batch that could not be read (the others were stored)",
    ["channel", "reason"],
)
# -- outgoing messages and the sync job ------------------------------------------------------
OUTBOX_WAITING = Gauge("switchboard_outbox_waiting", "Outgoing messages queued or being sent")
OUTBOX_FAILED = Gauge("switchboard_outbox_failed", "Outgoing messages failed, awaiting a retry")
OUTBOX_OLDEST_DUE = Gauge(
    "switchboard_outbox_oldest_due_seconds", "How long the oldest due outgoing message has waited"
)
OUTBOX_SENDS = Counter(
    "switchboard_outbox_sends_total", "Outcomes of the sync job's sends in this replica",
    ["outcome", "code"],
)
SYNC_RUNS = Counter(
    "switchboard_sync_runs_total", "Sync job runs: ran, locked (another replica), busy, error",
    ["result"],
)
SYNC_RUN_SECONDS = Histogram(
    "switchboard_sync_run_seconds", "How long a sync run held the lock",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
SYNC_ENABLED = Gauge("switchboard_sync_enabled", "Whether synchronisation is on (1) or off (0)")
SYNC_SCHEDULER_RUNNING = Gauge(
    "switchboard_sync_scheduler_running", "Whether this replica's scheduler runs (1)"
)
SYNC_LOCK_HELD = Gauge(
    "switchboard_sync_lock_held_seconds", "How long the sync lock has been held (0: free)"
)
HEALTH_WARNINGS = Gauge(
    "switchboard_sync_health_warning", "Sync health warnings in force (1) by code", ["code"]
)
