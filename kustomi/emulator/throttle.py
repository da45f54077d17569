"""ARM's request throttling: a token bucket per subscription, caller and kind of request.

ARM throttles subscription requests per region with token buckets, per subscription, per
service principal and per operation type (reads, writes, deletes): a request takes a token,
tokens come back at the refill rate up to the bucket's size (Azure's subscription reads: 250,
refilled 25 a second); over the limit ARM answers 429 with Retry-After, the seconds to wait
("Regional throttling and token bucket algorithm", "Error code" and "Remaining requests" in
https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling).
The emulator is one region; the knobs `arm_rate` (tokens a second, 0 = no throttling) and
`arm_burst` (the bucket's size) apply to every bucket.

- Which bucket: GET and HEAD are reads, DELETE deletes, anything else (POST too) writes; each
  answer says what is left of its bucket in x-ms-ratelimit-remaining-subscription-reads,
  -writes or -deletes (the same page; the header for non-GET requests is -writes, as in
  https://learn.microsoft.com/troubleshoot/azure/virtual-machines/troubleshooting-throttling-errors).
- Only requests that name a subscription (/subscriptions/{id}/...): a tenant request such as
  GET /subscriptions has buckets of its own in Azure, not emulated; Entra, the
  managed-identity endpoint and the Kusto data plane are not ARM.
- A throttled request takes no token. Its Retry-After is whole seconds, the time until the
  bucket holds a token again rounded up, at least 1; its body is ARM's envelope with
  SubscriptionRequestsThrottled, in ARM's wording (as quoted in velero-io/velero#9171).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from .state import World
from .wire import HttpError, arm_error

KIND = {"GET": "read", "HEAD": "read", "DELETE": "delete"}  # any other method: "write"


@dataclass
class Bucket:
    tokens: float
    at: float  # time.monotonic() of the last refill


class Throttle:
    def __init__(self, world: World) -> None:
        self.world = world
        self.buckets: dict[tuple[str, str, str], Bucket] = {}  # (subscription, caller, kind)
        self.lock = threading.Lock()

    def take(self, method: str, subscription: str, caller: str) -> dict[str, str]:
        """Take a token from the request's bucket: the header that says what is left, or an
        HttpError 429 when the bucket is empty. Nothing (and no bucket kept) with the knob off.
        """
        knobs = self.world.knobs  # one object: the admin API replaces it whole
        rate, size = knobs.arm_rate, max(1.0, knobs.arm_burst)
        kind = KIND.get(method, "write")
        header = f"x-ms-ratelimit-remaining-subscription-{kind}s"
        with self.lock:
            if rate <= 0:
                self.buckets.clear()  # turned on again later, a bucket starts full
                return {}
            now = time.monotonic()
            b = self.buckets.setdefault((subscription.lower(), caller, kind), Bucket(size, now))
            b.tokens = min(size, b.tokens + (now - b.at) * rate)
            b.at = now
            if b.tokens >= 1:
                b.tokens -= 1
                return {header: str(math.floor(b.tokens))}
            wait = max(1, math.ceil((1 - b.tokens) / rate))
        resp = arm_error(
            429,
            "SubscriptionRequestsThrottled",
            f"Number of '{kind}' requests for subscription '{subscription}' actor '{caller}' "
            f"exceeded. Please try again after '{wait}' seconds after additional tokens are "
            "available. Refer to https://aka.ms/arm-throttling for additional information.",
        )
        resp.headers.update({"Retry-After": str(wait), header: "0"})
        raise HttpError(resp)
