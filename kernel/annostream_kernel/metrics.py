"""Prometheus metrics of one process (prometheus-client): RPCs and HTTP requests, the relay and the consumers, the
database pool, NATS, and a few domain counters. Services serve them on their metrics port (a setting); the gateway
at `GET /metrics`. Names and alerts: docs/operations.md."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, start_http_server

REGISTRY = CollectorRegistry(auto_describe=True)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

GRPC_HANDLED = Counter(
    "annostream_grpc_server_handled", "RPCs answered, by method and status code.", ["method", "code"], registry=REGISTRY
)
GRPC_SECONDS = Histogram(
    "annostream_grpc_server_handling_seconds",
    "Time from a call's start to its answer, by method.",
    ["method"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
GRPC_CLIENT_HANDLED = Counter(
    "annostream_grpc_client_handled",
    "RPCs this process made to another component, by method and status code.",
    ["method", "code"],
    registry=REGISTRY,
)
GRPC_CLIENT_SECONDS = Histogram(
    "annostream_grpc_client_handling_seconds",
    "Time from a call's start until its status is known, by method (client side).",
    ["method"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
HTTP_HANDLED = Counter(
    "annostream_http_requests",
    "HTTP requests answered, by route and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_SECONDS = Histogram(
    "annostream_http_request_seconds",
    "Time to answer an HTTP request, by route.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
RELAY_LAG = Gauge(
    "annostream_relay_lag_seconds",
    "Age of the oldest committed event the relay has not published yet (0: up to date).",
    ["schema"],
    registry=REGISTRY,
)
RELAY_PUBLISHED = Counter(
    "annostream_relay_published_events", "Events the relay published.", ["schema"], registry=REGISTRY
)
CONSUMER_LAG = Gauge(
    "annostream_consumer_lag_events",
    "Events a durable consumer has yet to apply (not delivered + delivered but unacknowledged).",
    ["consumer"],
    registry=REGISTRY,
)
CONSUMER_APPLIED = Counter(
    "annostream_consumer_applied_events", "Events a consumer applied.", ["consumer"], registry=REGISTRY
)
CONSUMER_BATCHES = Counter(
    "annostream_consumer_batches",
    "Batches a consumer committed (one transaction and one ack each).",
    ["consumer"],
    registry=REGISTRY,
)
CONSUMER_PULLS = Counter(
    "annostream_consumer_pull_requests", "Pull requests a consumer sent to JetStream.", ["consumer"], registry=REGISTRY
)
DEAD_LETTERS = Gauge(
    "annostream_dead_letters", "Events a consumer gave up on (rows in dead_letters).", ["consumer"], registry=REGISTRY
)
POOL_CONNECTIONS = Gauge(
    "annostream_db_pool_connections", "Connections of the PostgreSQL pool, by state.", ["state"], registry=REGISTRY
)
NATS_RECONNECTS = Counter("annostream_nats_reconnects", "Reconnections to NATS.", registry=REGISTRY)
SAVE_CONFLICTS = Counter(
    "annostream_save_conflicts", "Saves refused because another edit touched the same ROI.", registry=REGISTRY
)
SAVE_REBASES = Counter(
    "annostream_save_rebases", "Saves applied on top of newer edits of others (merged, not refused).", registry=REGISTRY
)
LEASES_GRANTED = Counter("annostream_leases_granted", "Frames leased by NextFrame.", registry=REGISTRY)
LEASES_HELD = Gauge("annostream_leases_held", "Leases currently held (not expired).", registry=REGISTRY)
LEASES_EXPIRED = Gauge("annostream_leases_expired", "Leases past their expiry not yet taken over.", registry=REGISTRY)


def exposition() -> bytes:
    """The registry in the Prometheus text format."""
    return generate_latest(REGISTRY)


def serve_metrics(host: str, port: int) -> int:
    """Serve this process's metrics over HTTP on a background thread; returns the bound port."""
    server, _thread = start_http_server(port, addr=host, registry=REGISTRY)
    return int(server.server_port)


# Label children cached per metric and label values: `.labels()` takes a lock and builds its key on every call (≈ 1.5
# µs); the cached child's inc/observe costs about as much together (bench/README.md, observability). Bounded as the
# series themselves are.
_children: dict[tuple[int, tuple[str, ...]], Any] = {}


def child(metric: Counter | Histogram | Gauge, *values: str) -> Any:
    """`metric.labels(*values)`, built once per label values."""
    key = (id(metric), values)
    if (found := _children.get(key)) is None:
        found = _children[key] = metric.labels(*values)
    return found
