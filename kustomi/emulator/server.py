"""The emulator's HTTPS server: one port on 127.0.0.1 for ARM, Entra, the managed-identity
endpoint, the Kusto data plane and the admin API under /_emulator/.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import arm_kusto, arm_msi, arm_resources, arm_web, faults
from .arm import ArmContext, register_operations
from .entra import Entra, TokenIssuer
from .kusto import KustoDataPlane, metadata
from .mi import ManagedIdentityEndpoint
from .state import Knobs, World
from .wire import Request, Response, Router, arm_error, json_response

# KQL commands that change state (the emulator implements .add and .drop; the rest are refused).
WRITE_CSL = (".add", ".drop", ".set", ".alter", ".create", ".ingest", ".append")


def is_write(entry: dict[str, Any]) -> bool:
    """Whether a request-log entry changed state: an ARM PUT, PATCH or DELETE, or a KQL command
    that writes. Every POST the emulator serves on ARM is a read (lists, name checks)."""
    if entry["route"] == "kusto.data.mgmt":
        return str(entry.get("csl") or "").lstrip().lower().startswith(WRITE_CSL)
    return entry["method"] in ("PUT", "PATCH", "DELETE") and not entry["route"].startswith("_")


class Emulator:
    """The world and every service over it. `handle` is the whole server, minus sockets."""

    def __init__(self, world: World, base_url: str = "") -> None:
        self.base_url = base_url
        self.log: list[dict[str, Any]] = []
        self.log_lock = threading.Lock()
        self.load(world)

    def load(self, world: World) -> None:
        self.world = world
        self.issuer = TokenIssuer(world.tenant_id)
        self.arm = ArmContext(world, self.issuer)
        self.entra = Entra(world, self.issuer)
        self.mi = ManagedIdentityEndpoint(world, self.issuer)
        self.kusto = KustoDataPlane(world, self.issuer)
        self.arm_router = Router()
        arm_resources.register(self.arm_router, self.arm)
        arm_msi.register(self.arm_router, self.arm)
        arm_kusto.register(self.arm_router, self.arm)
        arm_web.register(self.arm_router, self.arm)
        register_operations(self.arm_router, self.arm)
        r = self.router = Router()
        r.add(
            "GET",
            "/metadata/endpoints",
            lambda req: arm_resources.metadata_endpoints(req, self.world.tenant_id),
            "arm.metadata",
        )
        r.add(
            "GET",
            "/{tenant}/v2.0/.well-known/openid-configuration",
            self.entra.openid_configuration,
            "entra.openid",
        )
        r.add("POST", "/{tenant}/oauth2/v2.0/token", self.entra.token, "entra.token")
        r.add("GET", "/{tenant}/discovery/v2.0/keys", self.entra.keys, "entra.keys")
        r.add("GET", "/msi/token", self.mi.token, "mi.token")
        for prefix in ("", "/kusto/{cluster}"):
            r.add(
                "GET",
                prefix + "/v1/rest/auth/metadata",
                lambda req: metadata(req, self.base_url),
                "kusto.data.metadata",
            )
        r.add("POST", "/kusto/{cluster}/v1/rest/mgmt", self.kusto.mgmt, "kusto.data.mgmt")
        r.add("POST", "/kusto/{cluster}/v2/rest/query", self.kusto.query, "kusto.data.query")

    # --- the whole request path ----------------------------------------------------------
    def handle(self, req: Request) -> Response:
        if req.path.startswith("/_emulator/"):
            return self.admin(req)
        route = self.router.match(req.method, req.path)
        arm = None
        if route is None and req.path.lower().startswith("/subscriptions"):
            arm = self.arm_router.match(req.method, req.path)
        name = (route or arm or (None, None, "unknown"))[2]
        if self.world.knobs.latency_ms:
            time.sleep(self.world.knobs.latency_ms / 1000)
        injected = faults.take(self.world, name, req.method, ("status", "drop"))
        if injected is not None:
            resp = self._fault_response(injected, name)
        elif route is not None:
            handler, params, _ = route
            req.params = params
            resp = handler(req)
        elif arm is not None:
            handler, params, _ = arm
            req.params = params
            resp = self.arm.guard(req) or handler(req)
        elif req.path.lower().startswith("/subscriptions") and self.arm_router.path_known(req.path):
            resp = arm_error(
                405,
                "MethodNotAllowed",
                f"The requested resource does not support http method '{req.method}'.",
            )
        else:
            resp = arm_error(
                404, "NotFound", f"The kustomi emulator serves no {req.method} {req.path}."
            )
        self._record(req, resp, name)
        return resp

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

    def _record(self, req: Request, resp: Response, route: str) -> None:
        entry: dict[str, Any] = {
            "method": req.method,
            "path": req.path,
            "route": route,
            "status": resp.status if not resp.drop else None,
            "time": time.time(),
        }
        if route in ("kusto.data.mgmt", "kusto.data.query"):
            with contextlib.suppress(ValueError):
                entry["csl"] = (req.json() or {}).get("csl")
        with self.log_lock:
            self.log.append(entry)

    # --- admin API (not an Azure path) ---------------------------------------------------
    def admin(self, req: Request) -> Response:
        path, w = req.path, self.world
        if path == "/_emulator/health":
            return json_response(200, {"ok": True})
        if path == "/_emulator/state" and req.method == "GET":
            return json_response(200, w.dump())
        if path == "/_emulator/requests" and req.method == "GET":
            with self.log_lock:
                return json_response(200, {"requests": list(self.log)})
        if path == "/_emulator/requests" and req.method == "DELETE":
            with self.log_lock:
                self.log.clear()
            return Response(204)
        if path == "/_emulator/scenario" and req.method == "POST":
            self.load(World.from_scenario(req.json() or {}))
            return json_response(200, self.environment())
        if path == "/_emulator/knobs" and req.method == "POST":
            with w.lock:
                w.knobs = Knobs(**{**vars(w.knobs), **(req.json() or {})})
            return json_response(200, vars(w.knobs))
        if path == "/_emulator/faults" and req.method == "POST":
            with w.lock:
                w.faults = list(req.json() or [])
            return json_response(200, {"faults": w.faults})
        if path == "/_emulator/app-env" and req.method == "GET":
            rg, app = req.query.get("resource_group", ""), req.query.get("app", "")
            slot = req.query.get("slot", "")
            site = w.sites.get((rg.lower(), app.lower(), slot.lower()))
            if site is None:
                return json_response(404, {"error": f"no app {app!r} (slot {slot!r}) in {rg!r}"})
            return json_response(
                200,
                {
                    "IDENTITY_ENDPOINT": f"{self.base_url}/msi/token",
                    "IDENTITY_HEADER": site.identity_header,
                },
            )
        return json_response(404, {"error": f"no admin route {req.method} {path}"})

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
        text = "".join(f"export {k}={_shell_quote(v)}\n" for k, v in self.environment().items())
        path.touch(mode=0o600)
        path.write_text(text)
        (self.state_dir / "endpoint").write_text(self.base_url)
        return path

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _shell_quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


def load_scenario(path: Path | None) -> World:
    if path is None:
        return World.empty()
    return World.from_scenario(json.loads(path.read_text()))
