"""Agencies' review systems, a data-sharing service and a notification gateway, on loopback, that can fail.

Routes (all JSON):
- `POST /agencies/{CODE}/reviews` (header `Idempotency-Key`) → `{"ticket"}`: a repeat of a key gets the
  same ticket and is counted as a replay, never as a second request.
- `GET /agencies/{CODE}/reviews/{ticket}` → `{"ticket", "status": "approved"|"denied", "reason"}`.
- `GET /sharing/{SERVICE}/documents?uscc=…&material=…` → `{"reference", "content"}`.
- `POST /gateway/notifications` (header `Idempotency-Key`) → `{"id"}`: delivered once per key.
- `GET /_records`: what was received, per idempotency key; `POST /_control`: change the failure mix live.

Faults, drawn per request with probability `failure_rate` from `faults`: `5xx` (503, nothing done),
`reset` (the connection dropped, nothing done), `timeout` (done, but the answer comes after the
client gave up), `malformed` (done, but the body cannot be read). The last two are what makes an
idempotency key necessary: the work happened and the caller cannot know.
"""

from __future__ import annotations

import copy
import json
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

FAULTS = ("5xx", "reset", "timeout", "malformed")
SCOPES = ("agencies", "sharing", "gateway")


@dataclass
class Behaviour:
    """What the simulated systems do; changed live through `POST /_control`."""

    latency_ms: float = 0.0
    failure_rate: float = 0.0
    faults: tuple[str, ...] = FAULTS
    scope: tuple[str, ...] = SCOPES  # which systems fail
    approve_rate: float = 1.0
    hang_seconds: float = 10.0  # a `timeout` answers after this long
    refuse_agencies: tuple[str, ...] = ()  # these answer 422 to every review request (a 4xx: never retried)
    unknown_to_sharing: tuple[str, ...] = ()  # USCCs the data-sharing service holds nothing for (404)


@dataclass
class Records:
    reviews: dict[str, dict] = field(default_factory=dict)  # idempotency key -> ticket, agency, replays
    tickets: dict[str, dict] = field(default_factory=dict)  # ticket -> decision
    notifications: dict[str, dict] = field(default_factory=dict)  # idempotency key -> recipient, kind, replays
    refused: dict[str, int] = field(default_factory=dict)  # idempotency key -> review requests answered 422
    polls: dict[str, int] = field(default_factory=dict)  # ticket -> decisions asked for
    documents: int = 0
    faults: dict[str, int] = field(default_factory=dict)


class Simulator:
    """Start with `start()` (a background thread) or `serve_forever()`; `stop()` closes the port."""

    def __init__(self, agencies: list[str], *, host: str = "127.0.0.1", port: int = 0, seed: int | None = None,
                 **behaviour) -> None:
        self.agencies = set(agencies)
        self.host, self.port = host, port
        self.behaviour = Behaviour(**behaviour)
        self.records = Records()
        self.lock = threading.Lock()
        self.random = random.Random(seed)
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _bind(self) -> ThreadingHTTPServer:
        handler = type("Handler", (_Handler,), {"simulator": self})
        server = _Server((self.host, self.port), handler)
        self.port = server.server_address[1]
        self.server = server
        return server

    def start(self) -> Simulator:
        server = self._bind()
        self.thread = threading.Thread(target=server.serve_forever, name=f"simulator:{self.port}", daemon=True)
        self.thread.start()
        return self

    def serve_forever(self) -> None:
        self._bind().serve_forever()

    def stop(self) -> None:
        """Close the port (connections are then refused); `start()` opens it again on the same port."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def control(self, **changes) -> None:
        with self.lock:
            for key, value in changes.items():
                if not hasattr(self.behaviour, key):
                    raise ValueError(f"unknown setting {key!r}")
                setattr(self.behaviour, key, tuple(value) if isinstance(value, list) else value)

    def snapshot(self) -> dict:
        """The records, copied: what was received, per idempotency key."""
        with self.lock:
            return copy.deepcopy({"reviews": dict(self.records.reviews), "tickets": dict(self.records.tickets),
                    "notifications": dict(self.records.notifications), "documents": self.records.documents,
                    "refused": dict(self.records.refused), "polls": dict(self.records.polls),
                    "faults": dict(self.records.faults)})

    # --- what each system does -----------------------------------------------------------

    def fault(self, scope: str) -> str | None:
        with self.lock:
            b = self.behaviour
            if scope not in b.scope or not b.faults or self.random.random() >= b.failure_rate:
                return None
            kind = self.random.choice(b.faults)
            self.records.faults[kind] = self.records.faults.get(kind, 0) + 1
            return kind

    def review(self, agency: str, key: str, body: dict) -> dict:
        with self.lock:
            known = self.records.reviews.get(key)
            if known is not None:
                known["replays"] += 1
                return {"ticket": known["ticket"]}
            ticket = f"{agency}-{len(self.records.tickets) + 1:06d}"
            approved = self.random.random() < self.behaviour.approve_rate
            self.records.reviews[key] = {"ticket": ticket, "agency": agency, "task_id": body.get("task_id"),
                                         "case_no": body.get("case_no"), "replays": 0}
            self.records.tickets[ticket] = {"ticket": ticket, "status": "approved" if approved else "denied",
                                            "reason": None if approved else f"{agency}: conditions not met (simulated)"}
            return {"ticket": ticket}

    def notify(self, key: str, body: dict) -> dict:
        with self.lock:
            known = self.records.notifications.get(key)
            if known is not None:
                known["replays"] += 1
            else:
                self.records.notifications[key] = {"recipient": body.get("recipient"), "kind": body.get("kind"),
                                                   "case_no": body.get("case_no"), "replays": 0}
            return {"id": key}

    def document(self, service: str, uscc: str, material: str) -> dict | None:
        with self.lock:
            if uscc in self.behaviour.unknown_to_sharing:
                return None
            self.records.documents += 1
        return {"reference": f"{service}:{material}:{uscc}", "content": f"{material} issued to {uscc} ({service})"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def process_request_thread(self, request, client_address) -> None:
        with self.connections_lock:
            self.open_connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.connections_lock:
                self.open_connections.discard(request)

    def server_close(self) -> None:
        """Down means down: kept-alive connections are cut too."""
        super().server_close()
        with self.connections_lock:
            for connection in list(self.open_connections):
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: many requests per connection
    disable_nagle_algorithm = True  # headers and body leave at once, not 40 ms apart (Nagle + delayed ACK)
    simulator: Simulator

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def _route(self, method: str) -> None:
        sim = self.simulator
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if parts == ["_records"] and method == "GET":
            return self._answer(200, sim.snapshot())
        if parts == ["_control"] and method == "POST":
            try:
                sim.control(**json.loads(raw or b"{}"))
            except (ValueError, TypeError) as exc:
                return self._answer(400, {"error": str(exc)})
            return self._answer(200, {"ok": True})
        scope = parts[0] if parts else ""
        if scope not in SCOPES:
            return self._answer(404, {"error": f"no route {url.path}"})
        latency = sim.behaviour.latency_ms
        if latency:
            time.sleep(latency / 1000)
        fault = sim.fault(scope)
        if fault == "5xx":
            return self._answer(503, {"error": "service unavailable (simulated)"})
        if fault == "reset":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return None
        answer = self._serve(method, parts, url.query, raw)
        if answer is None:
            return None
        status, body = answer
        if fault == "timeout" and status < 400:
            time.sleep(sim.behaviour.hang_seconds)
        if fault == "malformed" and status < 400:
            return self._raw(200, b"<html>502 upstream hiccup</html>", "text/html")
        return self._answer(status, body)

    def _serve(self, method: str, parts: list[str], query: str, raw: bytes) -> tuple[int, dict] | None:
        sim = self.simulator
        if parts[0] == "agencies" and len(parts) >= 3 and parts[2] == "reviews":
            agency = parts[1]
            if agency not in sim.agencies:
                return 404, {"error": f"no agency {agency}"}
            if method == "POST" and len(parts) == 3:
                key = self.headers.get("Idempotency-Key")
                if not key:
                    return 400, {"error": "Idempotency-Key header required"}
                if agency in sim.behaviour.refuse_agencies:
                    with sim.lock:
                        sim.records.refused[key] = sim.records.refused.get(key, 0) + 1
                    return 422, {"error": f"{agency} refuses the request (simulated)"}
                try:
                    body = json.loads(raw)
                except ValueError:
                    return 400, {"error": "body is not JSON"}
                return 201, sim.review(agency, key, body)
            if method == "GET" and len(parts) == 4:
                with sim.lock:
                    decision = sim.records.tickets.get(parts[3])
                    if decision:
                        sim.records.polls[parts[3]] = sim.records.polls.get(parts[3], 0) + 1
                return (200, decision) if decision else (404, {"error": f"no ticket {parts[3]}"})
        if parts[0] == "sharing" and len(parts) == 3 and parts[2] == "documents" and method == "GET":
            params = parse_qs(query)
            uscc, material = params.get("uscc", [""])[0], params.get("material", [""])[0]
            if not uscc or not material:
                return 400, {"error": "uscc and material are required"}
            document = sim.document(parts[1], uscc, material)
            return (200, document) if document else (404, {"error": f"nothing held for {uscc}"})
        if parts == ["gateway", "notifications"] and method == "POST":
            key = self.headers.get("Idempotency-Key")
            if not key:
                return 400, {"error": "Idempotency-Key header required"}
            try:
                body = json.loads(raw)
            except ValueError:
                return 400, {"error": "body is not JSON"}
            return 201, sim.notify(key, body)
        return 404, {"error": "no such route"}

    def _answer(self, status: int, body: dict) -> None:
        self._raw(status, json.dumps(body, ensure_ascii=False).encode(), "application/json")

    def _raw(self, status: int, data: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (a simulated timeout): nothing to tell it
            self.close_connection = True
