"""Checking that a delivery came from Automations, in a few lines of standard library.

Automations signs every delivery two ways when the webhook has a signing secret:

* ``X-Wandb-Signature``: base64 of HMAC-SHA256(secret, the exact body bytes), as W&B does;
* Standard Webhooks (https://www.standardwebhooks.com/): ``webhook-id``, ``webhook-timestamp`` and
  ``webhook-signature: v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>``; check the timestamp to
  refuse replays.

``secret`` is the secret's value as stored in Team Settings → Secrets. (The ``standardwebhooks`` package wants it as
``"whsec_" + base64(value)``; :func:`standard_webhooks_key` makes that, and this module accepts either form.)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Mapping, Optional, Union

__all__ = ["WebhookVerificationError", "verify_wandb_signature", "verify_standard_webhook", "standard_webhooks_key", "verify"]

DEFAULT_TOLERANCE = 300  # seconds either side of now, as the Standard Webhooks libraries use


class WebhookVerificationError(Exception):
    """The request is not a delivery signed with this secret (or is too old or too new)."""


def _key(secret: Union[str, bytes]) -> bytes:
    if isinstance(secret, bytes):
        return secret
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):])
    return secret.encode("utf-8")


def standard_webhooks_key(secret: str) -> str:
    """The ``whsec_…`` form of a secret value, for the ``standardwebhooks`` package's ``Webhook(...)``."""
    return "whsec_" + base64.b64encode(secret.encode("utf-8")).decode("ascii")


def verify_wandb_signature(body: bytes, signature: Optional[str], secret: Union[str, bytes]) -> None:
    """Raises :class:`WebhookVerificationError` unless ``signature`` (the ``X-Wandb-Signature`` header) signs ``body``."""
    if not signature:
        raise WebhookVerificationError("No X-Wandb-Signature header.")
    expected = base64.b64encode(hmac.new(_key(secret), body, hashlib.sha256).digest()).decode("ascii")
    if not hmac.compare_digest(expected, signature.strip()):
        raise WebhookVerificationError("X-Wandb-Signature does not match the body.")


def verify_standard_webhook(body: bytes, headers: Mapping[str, str], secret: Union[str, bytes],
                            tolerance: int = DEFAULT_TOLERANCE, now: Optional[float] = None) -> str:
    """Checks the Standard Webhooks headers; returns the ``webhook-id`` (the same on every retry: use it to ignore
    a delivery you already processed). Raises :class:`WebhookVerificationError` otherwise."""
    lower = {k.lower(): v for k, v in headers.items()}
    message_id, timestamp, signatures = lower.get("webhook-id"), lower.get("webhook-timestamp"), lower.get("webhook-signature")
    if not (message_id and timestamp and signatures):
        raise WebhookVerificationError("Missing webhook-id, webhook-timestamp or webhook-signature.")
    try:
        sent = int(timestamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a number.") from None
    current = time.time() if now is None else now
    if sent < current - tolerance:
        raise WebhookVerificationError("The message is too old.")
    if sent > current + tolerance:
        raise WebhookVerificationError("The message is from the future.")
    signed = f"{message_id}.{timestamp}.".encode("utf-8") + body
    expected = base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode("ascii")
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(expected, value):
            return message_id
    raise WebhookVerificationError("No webhook-signature matches.")


def verify(body: bytes, headers: Mapping[str, str], secret: Union[str, bytes], tolerance: int = DEFAULT_TOLERANCE) -> str:
    """Both checks at once, for a receiver of automation deliveries; returns the ``webhook-id``."""
    lower = {k.lower(): v for k, v in headers.items()}
    verify_wandb_signature(body, lower.get("x-wandb-signature"), secret)
    return verify_standard_webhook(body, lower, secret, tolerance)
