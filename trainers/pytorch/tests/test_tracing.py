"""The trainer's own span: TRACEPARENT in, one OTLP/HTTP JSON export out, to a receiver in this test."""

import json
import os
import tempfile
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hwnas_trainer.tracing import TrainSpan, parse_traceparent, traces_endpoint

from .support import ARCH, TINY, synthetic_data, train

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"


class Receiver:
    """A local OTLP/HTTP receiver: keeps every JSON body POSTed to /v1/traces."""

    def __init__(self):
        bodies = self.bodies = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path == "/v1/traces" and "json" in self.headers.get("Content-Type", ""):
                    bodies.append(json.loads(body))
                    self.send_response(200)
                else:
                    self.send_response(404)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *_):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def spans(self):
        return [(rs, span) for body in self.bodies for rs in body["resourceSpans"]
                for ss in rs["scopeSpans"] for span in ss["spans"]]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def attrs(kvs):
    return {kv["key"]: next(iter(kv["value"].values())) for kv in kvs}


class Tracing(unittest.TestCase):
    def test_traceparent_parsing_and_endpoint_choice(self):
        self.assertEqual(parse_traceparent(f"00-{TRACE_ID}-{PARENT_ID}-01"), (TRACE_ID, PARENT_ID, True))
        self.assertEqual(parse_traceparent(f"00-{TRACE_ID}-{PARENT_ID}-00"), (TRACE_ID, PARENT_ID, False))
        for bad in (None, "", "garbage", f"00-{'0' * 32}-{PARENT_ID}-01", f"ff-{TRACE_ID}-{PARENT_ID}-01",
                    f"00-{TRACE_ID.upper()}-{PARENT_ID}-01"):
            self.assertIsNone(parse_traceparent(bad), bad)
        self.assertEqual(traces_endpoint({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/"}), "http://c:4318/v1/traces")
        self.assertEqual(traces_endpoint({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
                                          "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t:1/x"}), "http://t:1/x")
        self.assertIsNone(traces_endpoint({}))

    def test_no_export_without_parent_or_endpoint_or_when_unsampled(self):
        for env in ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"},
                    {"TRACEPARENT": f"00-{TRACE_ID}-{PARENT_ID}-01"},
                    {"TRACEPARENT": f"00-{TRACE_ID}-{PARENT_ID}-00", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"}):
            self.assertIsNone(TrainSpan(env).end(), env)

    def test_an_unreachable_collector_never_fails_the_span(self):
        # Port 9 (discard) on loopback: connection refused, logged and ignored.
        span = TrainSpan({"TRACEPARENT": f"00-{TRACE_ID}-{PARENT_ID}-01", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"})
        self.assertIsNotNone(span.end())

    def test_a_training_run_sends_its_span_under_the_trace_parent_with_an_event_per_epoch(self):
        receiver = Receiver()
        try:
            w = tempfile.mkdtemp(prefix="hwnas-trainer-trace-")
            run = train(TINY + ["--data", synthetic_data(), "--arch", ARCH, "--seed", "5", "--epochs", "2"], work_dir=w,
                        env={"TRACEPARENT": f"00-{TRACE_ID}-{PARENT_ID}-01", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                             "OTEL_SERVICE_NAME": "trainer-under-test"})
            self.assertEqual(run.code, 0, run)
        finally:
            receiver.close()
        spans = receiver.spans()
        self.assertEqual(len(spans), 1, receiver.bodies)
        resource, span = spans[0]
        self.assertEqual(attrs(resource["resource"]["attributes"]), {"service.name": "trainer-under-test"})
        self.assertEqual(span["name"], "trainer.train")
        self.assertEqual((span["traceId"], span["parentSpanId"]), (TRACE_ID, PARENT_ID))
        self.assertRegex(span["spanId"], r"^[0-9a-f]{16}$")
        self.assertNotEqual(span["spanId"], PARENT_ID)
        self.assertLess(int(span["startTimeUnixNano"]), int(span["endTimeUnixNano"]))
        self.assertEqual(span["status"], {})
        self.assertEqual(attrs(span["attributes"])["hwnas.arch"], ARCH)
        events = span["events"]
        self.assertEqual([e["name"] for e in events], ["trainer.epoch", "trainer.epoch"])
        self.assertEqual([attrs(e["attributes"])["hwnas.epoch"] for e in events], ["1", "2"])
        final = json.loads(run.stdout.splitlines()[-1])["metrics"]
        self.assertEqual(attrs(events[1]["attributes"])["hwnas.metric.valid_accuracy"], final["valid_accuracy"])
        self.assertTrue(os.path.isfile(os.path.join(w, "checkpoint.pt")))


if __name__ == "__main__":
    unittest.main()
