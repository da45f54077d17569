"""The emulator's HTTPS server: one port on 127.0.0.1 for ARM, Entra, the managed-identity
endpoint, the Kusto data plane and the admin API under /_emulator/.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import faults
from .arm import ArmContext
from .arm_kusto import Kusto, cluster_uri
from .arm_msi import ManagedIdentities
from .arm_resources import Resources, metadata_endpoints
from .arm_web import Web
from .entra import Entra, TokenIssuer
from .kusto import KustoDataPlane, metadata
from .mi import ManagedIdentityEndpoint
from .state import Knobs, World
from .wire import ArmError, HttpError, Request, Response, Route, Router, arm_error, json_response

# KQL commands that change state (the emulator implements .add and .drop; the rest are refused).
WRITE_CSL = (".add", ".drop", ".set", ".alter", ".create", ".ingest", ".append")
ADMIN = "_emulator."  # route-name prefix of the admin API: never logged, delayed or faulted


def is_write(entry: dict[str, Any]) -> bool:
    """Whether a request-log entry changed state: an ARM PUT, PATCH or DELETE, or a KQL command
    that writes. Every POST the emulator serves on ARM is a read (lists, name checks)."""
    if entry["route"] == "kusto.data.mgmt":
        return str(entry.get("csl") or "").lstrip().lower().startswith(WRITE_CSL)
    return entry["method"] in ("PUT", "PATCH", "DELETE") and not entry["route"].startswith("_")


CLUSTER_REF = re.compile(r"\{cluster:([a-z][a-z0-9]{3,21})\}")


class Emulator:
    """The world and every service over it. `handle` is the whole server, minus sockets."""

    def __init__(self, world: World, base_url: str = "") -> None:
        self.base_url = base_url
        self.log: list[dict[str, Any]] = []
        self.log_lock = threading.Lock()
        self.load(world)

    def load(self, world: World) -> None:
        self.world = world
        self.resolve_uris()
        self.issuer = TokenIssuer(world.tenant_id)
        self.arm = ArmContext(world, self.issuer)
        entra = Entra(world, self.issuer)
        mi = ManagedIdentityEndpoint(world, self.issuer)
        kusto = KustoDataPlane(world, self.issuer)
        self.router = r = Router()
        r.add_all(self.admin_routes())
        t, k = "/{tenant}", "/kusto/{cluster}"
        r.add_all(
            [
                ("GET", "/metadata/endpoints", self.metadata_endpoints, "arm.metadata"),
                ("GET", t + "/v2.0/.well-known/openid-configuration", entra.openid, "entra.openid"),
                ("POST", t + "/oauth2/v2.0/token", entra.token, "entra.token"),
                ("GET", t + "/discovery/v2.0/keys", entra.keys, "entra.keys"),
                ("GET", "/msi/token", mi.token, "mi.token"),
                ("GET", "/v1/rest/auth/metadata", self.kusto_metadata, "kusto.data.metadata"),
                ("GET", k + "/v1/rest/auth/metadata", self.kusto_metadata, "kusto.data.metadata"),
                ("POST", k + "/v1/rest/mgmt", kusto.mgmt, "kusto.data.mgmt"),
                ("POST", k + "/v2/rest/query", kusto.query, "kusto.data.query"),
            ]
        )
        providers = (
            Resources(self.arm),
            ManagedIdentities(self.arm),
            Kusto(self.arm),
            Web(self.arm),
        )
        for p in providers:
            self.arm.api_versions.update(p.API_VERSIONS)
        for routes in (*(p.routes() for p in providers), self.arm.routes()):
            r.add_all([(m, path, self.arm.guarded(h), name) for m, path, h, name in routes])

    def resolve_uris(self) -> None:
        """`{cluster:NAME}` in a seeded app setting or connection string is that cluster's URI
        on this emulator (a scenario cannot know the port it will be served on), so that a
        scenario seeds connection strings that name its clusters."""
        if not self.base_url:
            return

        def uri(m: re.Match[str]) -> str:
            return cluster_uri(self.base_url, m.group(1))

        for site in self.world.sites.values():
            site.app_settings = {k: CLUSTER_REF.sub(uri, v) for k, v in site.app_settings.items()}
            for entry in site.connection_strings.values():
                entry["value"] = CLUSTER_REF.sub(uri, entry.get("value", ""))

    def metadata_endpoints(self, req: Request) -> Response:
        return metadata_endpoints(req, self.world.tenant_id)

    def kusto_metadata(self, req: Request) -> Response:
        return metadata(req, self.base_url)

    # --- the whole request path ----------------------------------------------------------
    def handle(self, req: Request) -> Response:
        world, found = self.world, self.router.match(req.method, req.path)
        name = found.name if found else "unknown"
        admin = name.startswith(ADMIN)
        started = time.time()
        self.arm.settle()
        try:
            if not admin:
                self._delay_or_fault(name, req.method, req.path)
            if found is None:
                raise self._no_route(req)
            req.params = found.params
            resp = self._mangled(name, req, found.handler(req))
        except HttpError as e:
            resp = e.response
            if found is not None and not admin:
                self._tick(name, req)
        # A request that outlived its world (a slow one, when a test loads the next world) is
        # not logged as a request of the new one.
        if not admin and self.world is world:
            self._record(req, resp, name, started)
        return resp

    def _no_route(self, req: Request) -> HttpError:
        if req.path.lower().startswith("/subscriptions") and self.router.path_known(req.path):
            return ArmError(
                405,
                "MethodNotAllowed",
                f"The requested resource does not support http method '{req.method}'.",
            )
        return ArmError(404, "NotFound", f"The kustomi emulator serves no {req.method} {req.path}.")

    def _delay_or_fault(self, route: str, method: str, path: str) -> None:
        if self.world.knobs.latency_ms:
            time.sleep(self.world.knobs.latency_ms / 1000)
        rule = faults.take(self.world, route, method, ("status", "drop", "slow", "body"), path)
        if rule is not None and rule.get("kind") == "slow":
            time.sleep(float(rule.get("seconds", 1)))
        elif rule is not None and rule.get("kind") == "body":
            raise HttpError(json_response(int(rule.get("status", 200)), rule.get("body")))
        elif rule is not None:
            raise HttpError(self._fault_response(rule, route))

    def _mangled(self, route: str, req: Request, resp: Response) -> Response:
        """A `mangled` rule: the request was served (a write is made), and its answer's body
        is replaced by the rule's, with the status and headers of the real answer. A `tick`
        rule: once the request is served, the world's clock moves on."""
        self._tick(route, req)
        if resp.status >= 400 or resp.drop:
            return resp
        rule = faults.take(self.world, route, req.method, ("mangled",), req.path)
        if rule is None:
            return resp
        headers = {k: v for k, v in resp.headers.items() if k.lower() != "content-type"}
        if "text" in rule:  # not JSON at all (a proxy's HTML page, say)
            return Response(resp.status, str(rule["text"]).encode(), headers)
        return json_response(resp.status, rule.get("body"), headers)

    def _tick(self, route: str, req: Request) -> None:
        """A `tick` rule: once the request is served (whatever its answer), the clock moves."""
        tick = faults.take(self.world, route, req.method, ("tick",), req.path)
        if tick is not None:
            self.world.clock.advance(float(tick.get("seconds", 1)))

    def _fault_response(self, rule: dict[str, Any], route: str) -> Response:
        if rule.get("kind") == "drop":
            return Response(0, drop=True)
        status = int(rule.get("status", 503))
        headers = {}
        if "retry_after" in rule:
            headers["Retry-After"] = str(rule["retry_after"])
        if route.startswith("mi."):
            return json_response(
                status,
                {
                    "statusCode": status,
                    "message": "Injected fault.",
                    "correlationId": "00000000-0000-0000-0000-000000000000",
                },
                headers,
            )
        code = {
            429: "SubscriptionRequestsThrottled",
            500: "InternalServerError",
            503: "ServiceUnavailable",
        }.get(status, "Fault")
        message = (
            f"Number of 'read' requests for subscription '{self.world.subscription_id}' "
            f"exceeded. Please try again after '{rule.get('retry_after', 1)}' seconds."
            if status == 429
            else "The service is temporarily unavailable."
        )
        if route.startswith("kusto.data"):
            return json_response(
                status,
                {
                    "error": {
                        "code": code,
                        "message": message,
                        "@message": message,
                        "@permanent": False,
                    }
                },
                headers,
            )
        resp = arm_error(status, code, message)
        resp.headers.update(headers)
        return resp

    def _record(self, req: Request, resp: Response, route: str, started: float) -> None:
        entry: dict[str, Any] = {
            "method": req.method,
            "path": req.path,
            "route": route,
            "status": resp.status if not resp.drop else None,
            "start": started,  # when it arrived, before any delay: "time" is when it ended
            "time": time.time(),
        }
        if route in ("kusto.data.mgmt", "kusto.data.query"):
            with contextlib.suppress(ValueError):
                entry["csl"] = (req.json() or {}).get("csl")
        elif route in ("web.sites.patch", "web.slots.patch"):
            # The identity block as sent (resource ids only, no secret): the emulator merges
            # user-assigned identities, so only the request tells what a client sent.
            with contextlib.suppress(ValueError, AttributeError):
                entry["identity"] = (req.json() or {}).get("identity")
        with self.log_lock:
            self.log.append(entry)

    # --- admin API (not an Azure path) ---------------------------------------------------
    def admin_routes(self) -> list[Route]:
        a = "/_emulator"
        return [
            ("GET", a + "/health", lambda req: json_response(200, {"ok": True}), ADMIN + "health"),
            (
                "GET",
                a + "/state",
                lambda req: json_response(200, self.world.dump()),
                ADMIN + "state",
            ),
            ("GET", a + "/requests", self.get_requests, ADMIN + "requests"),
            ("DELETE", a + "/requests", self.clear_requests, ADMIN + "requests"),
            ("POST", a + "/scenario", self.post_scenario, ADMIN + "scenario"),
            ("POST", a + "/knobs", self.post_knobs, ADMIN + "knobs"),
            ("POST", a + "/faults", self.post_faults, ADMIN + "faults"),
            ("POST", a + "/clock", self.post_clock, ADMIN + "clock"),
            ("GET", a + "/app-env", self.app_env, ADMIN + "app-env"),
            # Anything else under /_emulator/ is the admin API's own 404, not ARM's.
            ("GET", a + "/{unknown}", self.admin_not_found, ADMIN + "unknown"),
            ("POST", a + "/{unknown}", self.admin_not_found, ADMIN + "unknown"),
        ]

    def get_requests(self, req: Request) -> Response:
        with self.log_lock:
            return json_response(200, {"requests": list(self.log)})

    def clear_requests(self, req: Request) -> Response:
        with self.log_lock:
            self.log.clear()
        return Response(204)

    def post_scenario(self, req: Request) -> Response:
        self.load(World.from_scenario(req.json() or {}))
        return json_response(200, self.environment())

    def post_knobs(self, req: Request) -> Response:
        w = self.world
        with w.lock:
            w.knobs = Knobs(**{**vars(w.knobs), **(req.json() or {})})
        return json_response(200, vars(w.knobs))

    def post_clock(self, req: Request) -> Response:
        """{"freeze": true} stops the world's clock; {"advance": seconds} moves it on."""
        doc = req.json() or {}
        if not isinstance(doc, dict):
            raise HttpError(json_response(400, {"error": "a JSON object is expected"}))
        clock = self.world.clock
        with self.world.lock:
            if doc.get("freeze"):
                clock.freeze()
            step = doc.get("advance", 0)
            if not isinstance(step, (int, float)) or isinstance(step, bool) or step < 0:
                raise HttpError(json_response(400, {"error": "advance is seconds, 0 or more"}))
            clock.advance(float(step))
        return json_response(200, {"now": clock.now(), "frozen": clock.frozen_at is not None})

    def post_faults(self, req: Request) -> Response:
        w = self.world
        with w.lock:
            w.faults = list(req.json() or [])
        return json_response(200, {"faults": w.faults})

    def app_env(self, req: Request) -> Response:
        rg, app = req.query.get("resource_group", ""), req.query.get("app", "")
        slot = req.query.get("slot", "")
        site = self.world.sites.get((rg.lower(), app.lower(), slot.lower()))
        if site is None:
            raise HttpError(
                json_response(404, {"error": f"no app {app!r} (slot {slot!r}) in {rg!r}"})
            )
        return json_response(
            200,
            {
                "IDENTITY_ENDPOINT": f"{self.base_url}/msi/token",
                "IDENTITY_HEADER": site.identity_header,
            },
        )

    def admin_not_found(self, req: Request) -> Response:
        raise HttpError(json_response(404, {"error": f"no admin route {req.method} {req.path}"}))

    def environment(self) -> dict[str, str]:
        """What a shell needs to point kustomi and the Azure SDKs at this emulator."""
        op = self.world.operators[0]
        return {
            "KUSTOMI_ARM_ENDPOINT": self.base_url,
            "AZURE_AUTHORITY_HOST": self.base_url,
            "AZURE_TENANT_ID": self.world.tenant_id,
            "AZURE_CLIENT_ID": op.client_id,
            "AZURE_CLIENT_SECRET": op.secret,
            "AZURE_SUBSCRIPTION_ID": self.world.subscription_id,
        }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle's algorithm on, the body waits for
    # the client's delayed ACK of the headers (about 40 ms a response on Linux).
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(30)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the admin API's request log replaces stderr noise (and never holds a secret)

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        req = Request(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            base_url=self.server.emulator.base_url,
        )
        try:
            resp = self.server.emulator.handle(req)
        except Exception as e:  # an emulator bug must show up as a 500, not a hang
            resp = arm_error(500, "InternalServerError", f"emulator error: {type(e).__name__}")
        if resp.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(resp.status)
        for k, v in resp.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, context: ssl.SSLContext, emulator: Emulator) -> None:
        self.context = context
        self.emulator = emulator
        super().__init__(("127.0.0.1", port), _Handler)

    def get_request(self) -> tuple[Any, Any]:
        sock, addr = self.socket.accept()
        # The TLS handshake happens in the worker thread, not in the accept loop.
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request (a killed process, a closed pool: ssl's
        SSLEOFError, a reset) is no error of the emulator's: say nothing. socketserver's own
        handle_error prints a traceback to the current sys.stderr, which, in a process that
        runs commands in-process, is the command's captured stderr. Anything else goes to the
        process's real stderr (the admin request log has every answered request)."""
        kind = sys.exc_info()[0]
        if kind is not None and issubclass(kind, (OSError, ValueError)):
            return
        import traceback

        if sys.__stderr__ is not None:
            traceback.print_exc(file=sys.__stderr__)


class RunningEmulator:
    """An emulator serving on a background thread; used by `kustomi emulator serve` and tests."""

    def __init__(self, world: World, state_dir: Path, port: int = 0) -> None:
        import trustme

        state_dir.mkdir(parents=True, exist_ok=True)
        ca = trustme.CA()
        # "127.1" is loopback too, but azure-kusto-data does not count it as a local address:
        # a cluster URI with that host is one the library refuses as untrusted (cluster_untrusted).
        cert = ca.issue_cert("127.0.0.1", "localhost", "127.1")
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(ctx)
        self.ca_path = state_dir / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_path))
        self.emulator = Emulator(world)
        self.server = _Server(port, ctx, self.emulator)
        self.port = self.server.server_address[1]
        self.emulator.base_url = self.base_url = f"https://127.0.0.1:{self.port}"
        self.emulator.resolve_uris()
        self.state_dir = state_dir
        self.thread = threading.Thread(
            target=self.server.serve_forever, daemon=True, name="kustomi-emulator"
        )

    def start(self) -> RunningEmulator:
        self.thread.start()
        self.write_env()
        return self

    def environment(self) -> dict[str, str]:
        return {**self.emulator.environment(), "REQUESTS_CA_BUNDLE": str(self.ca_path)}

    def write_env(self) -> Path:
        """DIR/env: POSIX export lines. Owner-only, since it holds the operator's secret."""
        path = self.state_dir / "env"
        text = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in self.environment().items())
        _replace(self.state_dir / "endpoint", self.base_url, 0o644)
        # Whole or absent: a script that waits for DIR/env to exist (and sources it) never
        # reads it half written. The endpoint goes first, so env's presence means both.
        _replace(path, text, 0o600)
        return path

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _replace(path: Path, text: str, mode: int) -> None:
    """Write `text` to a new file with `mode` from its creation, then rename it over `path`
    (atomic on POSIX), so that readers see the old file or the new one, never a part."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)  # the umask may have narrowed or the file may be old
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    os.replace(tmp, path)


def load_scenario(path: Path | None) -> World:
    if path is None:
        return World.empty()
    return World.from_scenario(json.loads(path.read_text()))
