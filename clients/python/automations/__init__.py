"""Automations from Python: log artifact versions, move aliases, manage automations, follow runs, verify webhooks.

    from automations import Api
    api = Api()  # AUTOMATIONS_BASE_URL and AUTOMATIONS_API_KEY
    version = api.log_version("acme/vision/eval-set", type="dataset", files=["eval.parquet"], aliases=["candidate"])
    version.add_alias("production")

Standard library only; Python 3.9+.
"""

from .client import (
    Api,
    ApiError,
    AutomationsError,
    Automation,
    BadRequest,
    Collection,
    ConnectionFailed,
    Conflict,
    Event,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Run,
    ServerError,
    Unauthorized,
    Version,
    __version__,
    file_digest,
    manifest_entries,
    parse_version_path,
)
from .webhooks import WebhookVerificationError, standard_webhooks_key, verify, verify_standard_webhook, verify_wandb_signature

__all__ = [
    "Api", "ApiError", "AutomationsError", "Automation", "BadRequest", "Collection", "ConnectionFailed", "Conflict", "Event",
    "Forbidden", "NotFound", "PayloadTooLarge", "RateLimited", "Run", "ServerError", "Unauthorized", "Version", "__version__",
    "file_digest", "manifest_entries", "parse_version_path",
    "WebhookVerificationError", "standard_webhooks_key", "verify", "verify_standard_webhook", "verify_wandb_signature",
]
