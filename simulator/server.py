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

A Starlette app served by uvicorn: in a thread of the caller's (`start()`/`stop()`, what the tests do) or
in the foreground (`serve_forever()`, what `onevisit simulate agencies` does). Latencies and hangs are
asyncio sleeps, so one thread serves every connection however slow the systems are made.
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from uvicorn.protocols.http.h11_impl import H11Protocol

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
        self.lock = threading.Lock()  # the records and the draws: shared by the server's loop and the caller
        self.random = random.Random(seed)
        self.socket: socket.socket | None = None
        self.server: _Server | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def bind(self) -> None:
        """Open the listening port (port 0: a free one, kept from then on); raises OSError if it is taken."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # started again on the same port at once
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        sock.listen(1024)
        self.port = sock.getsockname()[1]
        self.socket = sock

    def _server(self) -> _Server:
        if self.socket is None:
            self.bind()
        app = _app(self)
        self.server = _Server(uvicorn.Config(
            app, http=_Connection, lifespan="off", access_log=False, log_config=None,
            timeout_keep_alive=75,  # longer than clients keep an idle connection (httpx: 5 s): they close first
        ))
        app.state.down = self.server.down
        return self.server

    def start(self) -> Simulator:
        """Serve in a thread of this process; returns once the port answers."""
        server = self._server()
        self.thread = threading.Thread(target=server.run, kwargs={"sockets": [self.socket]},
                                       name=f"simulator:{self.port}", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the simulator did not start on {self.url}")
            time.sleep(0.01)
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until SIGINT or SIGTERM (uvicorn's own handling: shut down, then re-raised)."""
        server = self._server()
        try:
            server.run(sockets=[self.socket])
        finally:
            self.socket = self.server = None

    def stop(self) -> None:
        """Close the port (connections are then refused); `start()` opens it again on the same port."""
        if self.server is not None:
            self.server.should_exit = True
            self.thread.join()
            self.socket = self.server = self.thread = None

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


# --- the server ----------------------------------------------------------------------------------


class _Connection(H11Protocol):
    """uvicorn's HTTP/1.1 connection, with the two things a simulator of failing systems needs that ASGI
    does not give: the app can drop the connection without answering (ASGI only lets it answer, and
    uvicorn answers 500 for an app that raises first), and a server going down cuts every connection,
    a request in flight included, instead of waiting for it to be answered."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.app_state = {**self.app_state, "connection": transport}  # each request's `request.state`

    def shutdown(self) -> None:
        self.transport.close()


class _Server(uvicorn.Server):
    """Going down wakes the requests that sleep (a latency, a `timeout` fault's hang) to find their
    connection cut, so that `stop()` and Ctrl+C do not wait for them."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.down = asyncio.Event()  # bound to the server's loop when first waited on

    async def shutdown(self, sockets=None) -> None:
        self.down.set()
        await super().shutdown(sockets)


async def _pause(request: Request, seconds: float) -> None:
    if seconds > 0:
        try:
            await asyncio.wait_for(request.app.state.down.wait(), seconds)
        except TimeoutError:
            pass


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status)


Answer = tuple[int, dict]


def _nowhere() -> Response:
    """What an endpoint returns on a connection already closed: nobody reads it."""
    return Response(status_code=204)


def _system(scope: str, act: Callable[[Simulator, Request], Awaitable[Answer]]):
    """An endpoint of one of the simulated systems: the latency, then the fault drawn for this request,
    around `act` (what the system does; faults `timeout` and `malformed` only spoil an answer that
    would have been a success)."""

    async def endpoint(request: Request) -> Response:
        sim: Simulator = request.app.state.simulator
        try:
            await request.body()  # read first: a caller that gives up during the latency does not stop the work
        except ClientDisconnect:
            return _nowhere()
        await _pause(request, sim.behaviour.latency_ms / 1000)
        if request.app.state.down.is_set():  # went down meanwhile: the connection is cut, nothing is done
            return _nowhere()
        fault = sim.fault(scope)
        if fault == "5xx":
            return _error(503, "service unavailable (simulated)")
        if fault == "reset":  # dropped before a byte is written
            request.state.connection.close()
            return _nowhere()
        status, body = await act(sim, request)
        if fault == "timeout" and status < 400:
            await _pause(request, sim.behaviour.hang_seconds)
        if fault == "malformed" and status < 400:
            return Response(b"<html>502 upstream hiccup</html>", 200, media_type="text/html")
        return JSONResponse(body, status)

    return endpoint


async def _json_body(request: Request) -> dict | None:
    try:
        return json.loads(await request.body())
    except ValueError:
        return None


async def _request_review(sim: Simulator, request: Request) -> Answer:
    agency = request.path_params["agency"]
    if agency not in sim.agencies:
        return 404, {"error": f"no agency {agency}"}
    key = request.headers.get("Idempotency-Key")
    if not key:
        return 400, {"error": "Idempotency-Key header required"}
    if agency in sim.behaviour.refuse_agencies:
        with sim.lock:
            sim.records.refused[key] = sim.records.refused.get(key, 0) + 1
        return 422, {"error": f"{agency} refuses the request (simulated)"}
    body = await _json_body(request)
    if body is None:
        return 400, {"error": "body is not JSON"}
    return 201, sim.review(agency, key, body)


async def _decision(sim: Simulator, request: Request) -> Answer:
    agency, ticket = request.path_params["agency"], request.path_params["ticket"]
    if agency not in sim.agencies:
        return 404, {"error": f"no agency {agency}"}
    with sim.lock:
        decision = sim.records.tickets.get(ticket)
        if decision:
            sim.records.polls[ticket] = sim.records.polls.get(ticket, 0) + 1
            decision = dict(decision)
    return (200, decision) if decision else (404, {"error": f"no ticket {ticket}"})


async def _document(sim: Simulator, request: Request) -> Answer:
    uscc, material = request.query_params.get("uscc", ""), request.query_params.get("material", "")
    if not uscc or not material:
        return 400, {"error": "uscc and material are required"}
    document = sim.document(request.path_params["service"], uscc, material)
    return (200, document) if document else (404, {"error": f"nothing held for {uscc}"})


async def _notification(sim: Simulator, request: Request) -> Answer:
    key = request.headers.get("Idempotency-Key")
    if not key:
        return 400, {"error": "Idempotency-Key header required"}
    body = await _json_body(request)
    if body is None:
        return 400, {"error": "body is not JSON"}
    return 201, sim.notify(key, body)


async def _records(request: Request) -> Response:
    return JSONResponse(request.app.state.simulator.snapshot())


async def _control(request: Request) -> Response:
    try:
        request.app.state.simulator.control(**json.loads(await request.body() or b"{}"))
    except (ValueError, TypeError) as exc:
        return _error(400, str(exc))
    return JSONResponse({"ok": True})


async def _no_route(request: Request, exc: HTTPException) -> Response:
    return _error(404, f"no route {request.url.path}")  # a wrong method too: 404, as a missing route


def _app(sim: Simulator) -> Starlette:
    app = Starlette(routes=[
        Route("/agencies/{agency}/reviews", _system("agencies", _request_review), methods=["POST"]),
        Route("/agencies/{agency}/reviews/{ticket}", _system("agencies", _decision), methods=["GET"]),
        Route("/sharing/{service}/documents", _system("sharing", _document), methods=["GET"]),
        Route("/gateway/notifications", _system("gateway", _notification), methods=["POST"]),
        Route("/_records", _records, methods=["GET"]),
        Route("/_control", _control, methods=["POST"]),
    ], exception_handlers={404: _no_route, 405: _no_route})
    app.state.simulator = sim
    return app
