"""The trainer's own span, `trainer.train`, under the evaluation span named by TRACEPARENT.

Debian has no OpenTelemetry for Python, so this module writes the span itself: W3C trace context
in, one OTLP/HTTP JSON export out (POST <endpoint>/v1/traces) when the run ends. The endpoint is
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces, as the
OpenTelemetry SDKs read them. Without a valid, sampled TRACEPARENT or without an endpoint nothing
is sent. Export problems are logged once and never fail the training.
"""

import json
import os
import re
import time
import urllib.error
import urllib.request

from .protocol import log

SPAN_NAME = "trainer.train"
SCOPE_NAME = "hwnas_trainer"
DEFAULT_SERVICE_NAME = "hwnas-trainer"
EXPORT_TIMEOUT_SECONDS = 2.0
SPAN_KIND_INTERNAL = 1
STATUS_ERROR = 2

_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def parse_traceparent(value):
    """(trace_id, parent_span_id, sampled) of a W3C traceparent, or None when it is absent or malformed."""
    m = _TRACEPARENT.match((value or "").strip())
    if not m or m.group(1) == "ff" or set(m.group(2)) == {"0"} or set(m.group(3)) == {"0"}:
        return None
    return m.group(2), m.group(3), bool(int(m.group(4), 16) & 1)


def traces_endpoint(environ):
    """The OTLP/HTTP traces URL the environment names, or None."""
    url = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
    if url:
        return url
    base = environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
    return base.rstrip("/") + "/v1/traces" if base else None


def _any_value(v):
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    return {"stringValue": str(v)}


def _attributes(attrs):
    return [{"key": k, "value": _any_value(v)} for k, v in attrs.items()]


class TrainSpan:
    """One span of this run; a no-op without a parent or an endpoint. Not thread-safe (the training loop's)."""

    def __init__(self, environ):
        parent = parse_traceparent(environ.get("TRACEPARENT"))
        self.endpoint = traces_endpoint(environ)
        self.active = parent is not None and parent[2] and self.endpoint is not None
        self.trace_id, self.parent_span_id = (parent[0], parent[1]) if parent else (None, None)
        # os.urandom, not `random`: the span id must not move the training's seeded generators.
        self.span_id = os.urandom(8).hex()
        self.service = environ.get("OTEL_SERVICE_NAME") or DEFAULT_SERVICE_NAME
        self.start_ns = time.time_ns()
        self.attributes = {}
        self.events = []

    def set(self, **attrs):
        self.attributes.update(attrs)

    def event(self, name, **attrs):
        self.events.append({"timeUnixNano": str(time.time_ns()), "name": name, "attributes": _attributes(attrs)})

    def end(self, error=None):
        """Ends the span (status error with `error` as its message) and exports it; returns the OTLP document sent, or None."""
        if not self.active:
            return None
        self.active = False
        span = {"traceId": self.trace_id, "spanId": self.span_id, "parentSpanId": self.parent_span_id,
                "name": SPAN_NAME, "kind": SPAN_KIND_INTERNAL, "startTimeUnixNano": str(self.start_ns),
                "endTimeUnixNano": str(time.time_ns()), "attributes": _attributes(self.attributes),
                "events": self.events, "status": {"code": STATUS_ERROR, "message": error} if error else {}}
        doc = {"resourceSpans": [{"resource": {"attributes": _attributes({"service.name": self.service})},
                                  "scopeSpans": [{"scope": {"name": SCOPE_NAME}, "spans": [span]}]}]}
        request = urllib.request.Request(self.endpoint, data=json.dumps(doc).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=EXPORT_TIMEOUT_SECONDS) as response:
                response.read()
        except (urllib.error.URLError, OSError, ValueError) as e:
            log(f"trace export to {self.endpoint} failed ({e}); training is unaffected")
        return doc
