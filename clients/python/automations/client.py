"""The REST client: Api, the objects it returns, and typed errors carrying the server's problem details."""

from __future__ import annotations

import hashlib
import json
import os
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

__version__ = "1.0.0"
USER_AGENT = f"automations-python/{__version__}"

#: The event types an automation can watch; the friendly names are accepted too.
EVENT_TYPES = {
    "LINK_ARTIFACT": "LINK_ARTIFACT",
    "new_version": "LINK_ARTIFACT",
    "ADD_ARTIFACT_ALIAS": "ADD_ARTIFACT_ALIAS",
    "alias_added": "ADD_ARTIFACT_ALIAS",
}

FINISHED_RUN_STATUSES = ("Succeeded", "Failed")

FileSpec = Union[str, "os.PathLike[str]", Tuple[str, Union[str, "os.PathLike[str]"]]]


# ----------------------------------------------------------------------------------------------------------------
# Errors


class AutomationsError(Exception):
    """Anything this client raises on purpose."""


class ConnectionFailed(AutomationsError):
    """The server could not be reached (after the retries an idempotent call gets)."""


class ApiError(AutomationsError):
    """The server answered with an error; the RFC 7807 problem details are kept.

    ``errors`` maps a field to its messages (``{"name": ["Name is required."]}``) for input errors.
    """

    def __init__(self, status: int, method: str, url: str, problem: Optional[Dict[str, Any]], text: str = ""):
        self.status = status
        self.method = method
        self.url = url
        self.problem = problem or {}
        self.title = self.problem.get("title") or ""
        self.detail = self.problem.get("detail") or text.strip()[:500]
        self.errors: Dict[str, List[str]] = self.problem.get("errors") or {}
        super().__init__(str(self))

    def __str__(self) -> str:
        message = f"HTTP {self.status} {self.method} {self.url}"
        reason = self.detail or self.title
        if reason:
            message += f": {reason}"
        # Field errors add what the detail does not already say (a single field's message is often the detail itself).
        extra = [f"{field}: {' '.join(texts)}" for field, texts in self.errors.items() if ' '.join(texts) != reason]
        if extra:
            message += " (" + "; ".join(extra) + ")"
        return message


class BadRequest(ApiError):
    """400: the input is invalid; ``errors`` names the fields."""


class Unauthorized(ApiError):
    """401: no valid API key."""


class Forbidden(ApiError):
    """403: the key's user may not do this (e.g. a member trying an admin action)."""


class NotFound(ApiError):
    """404: no such thing, or not in one of the caller's teams."""


class Conflict(ApiError):
    """409: e.g. the same Idempotency-Key with another body, or a name taken."""


class PayloadTooLarge(ApiError):
    """413: the request body is over the server's limit (1 MB)."""


class RateLimited(ApiError):
    """429: too many requests; ``retry_after`` is in seconds when the server said."""

    retry_after: Optional[float] = None


class ServerError(ApiError):
    """5xx."""


_ERRORS = {400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict, 413: PayloadTooLarge, 422: BadRequest, 429: RateLimited}


def _error_for(status: int) -> type:
    return _ERRORS.get(status) or (ServerError if status >= 500 else ApiError)


# ----------------------------------------------------------------------------------------------------------------
# Paths: "team/project/collection:alias", as W&B users write "entity/project/name:alias"


def _split(path: str, parts: int, what: str) -> List[str]:
    pieces = [p for p in path.strip("/").split("/")]
    if len(pieces) != parts or not all(pieces):
        shapes = {2: "TEAM/PROJECT", 3: "TEAM/PROJECT/COLLECTION"}
        raise ValueError(f"{what} must look like {shapes[parts]}, not {path!r}")
    return pieces


def parse_version_path(path: str, default: str = "latest") -> Tuple[str, str, str, str]:
    """``team/project/collection[:v3 or :alias]`` → (team, project, collection, reference)."""
    head, _, reference = path.partition(":")
    team, project, collection = _split(head, 3, "A version path")
    return team, project, collection, reference or default


def _q(value: Any) -> str:
    return urllib.parse.quote(str(value), safe="")


# ----------------------------------------------------------------------------------------------------------------
# Transport


class _Http:
    """JSON over urllib with retries: idempotent calls retry connection errors, timeouts, 429 and 5xx with
    exponential back-off and full jitter (honouring Retry-After); other calls retry only a refused connection,
    which cannot have reached the server."""

    RETRY_STATUSES = (429, 500, 502, 503, 504)

    def __init__(self, base_url: str, api_key: str, timeout: float, max_retries: int, backoff: float, max_backoff: float):
        self.base = base_url.rstrip("/") + "/api/v1/"
        self.api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff

    def request(self, method: str, path: str, body: Any = None, query: Optional[Mapping[str, Any]] = None,
                headers: Optional[Mapping[str, str]] = None, idempotent: Optional[bool] = None) -> Any:
        url = self.base + path.lstrip("/")
        if query:
            pairs = [(k, v) for k, v in query.items() if v is not None]
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs)
        data = None if body is None else json.dumps(body).encode("utf-8")
        all_headers = {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json", "User-Agent": USER_AGENT}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        if idempotent is None:
            idempotent = method in ("GET", "HEAD", "PUT", "DELETE") or "Idempotency-Key" in all_headers

        attempt = 0
        while True:
            request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    raw = response.read()
                    return json.loads(raw) if raw else None
            except urllib.error.HTTPError as e:
                raw = e.read()
                text = raw.decode("utf-8", "replace")
                try:
                    problem = json.loads(text) if text else None
                except ValueError:
                    problem = None
                retry_after = _retry_after(e.headers.get("Retry-After"))
                if idempotent and e.code in self.RETRY_STATUSES and attempt < self.max_retries:
                    self._sleep(attempt, retry_after)
                    attempt += 1
                    continue
                error = _error_for(e.code)(e.code, method, url, problem if isinstance(problem, dict) else None, text)
                if isinstance(error, RateLimited):
                    error.retry_after = retry_after
                raise error from None
            except (urllib.error.URLError, ConnectionError, socket.timeout, TimeoutError) as e:
                reason = getattr(e, "reason", e)
                refused = isinstance(reason, ConnectionRefusedError) or isinstance(e, ConnectionRefusedError)
                if (idempotent or refused) and attempt < self.max_retries:
                    self._sleep(attempt, None)
                    attempt += 1
                    continue
                raise ConnectionFailed(f"{method} {url}: {reason}") from e

    def _sleep(self, attempt: int, retry_after: Optional[float]) -> None:
        delay = retry_after if retry_after is not None else random.uniform(0, min(self.max_backoff, self.backoff * (2 ** attempt)))
        time.sleep(min(delay, self.max_backoff))


def _retry_after(value: Optional[str]) -> Optional[float]:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


# ----------------------------------------------------------------------------------------------------------------
# Objects


class _Record:
    """A server record: its JSON fields are attributes (snake_case), and ``raw`` keeps the JSON as sent."""

    def __init__(self, api: "Api", raw: Dict[str, Any]):
        self._api = api
        self.raw = raw
        for key, value in raw.items():
            setattr(self, _snake(key), value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self}>"


def _snake(name: str) -> str:
    out = []
    for i, c in enumerate(name):
        if c.isupper() and i:
            out.append("_")
        out.append(c.lower())
    return "".join(out)


class Version(_Record):
    """One artifact version: ``entity, project, collection, collection_type, index, version ('v3'), id, uri, digest,
    description, metadata, manifest, aliases, created_by, created_at``."""

    entity: str
    project: str
    collection: str
    version: str
    aliases: List[str]

    @property
    def name(self) -> str:
        """``collection:v3``, as W&B names an artifact version."""
        return f"{self.collection}:{self.version}"

    @property
    def path(self) -> str:
        """``team/project/collection:v3``: what :meth:`Api.version` takes."""
        return f"{self.entity}/{self.project}/{self.name}"

    def __str__(self) -> str:
        return self.path

    def add_alias(self, alias: str) -> "Version":
        """Adds the alias to this version (moving it from another version of the collection); returns the refreshed version."""
        updated = self._api.add_alias(self.path, alias)
        self.__init__(self._api, updated.raw)
        return self

    def remove_alias(self, alias: str) -> "Version":
        updated = self._api.remove_alias(self.path, alias)
        self.__init__(self._api, updated.raw)
        return self


class Collection(_Record):
    """``id, name, type, description, version_count, created_at``."""

    def __str__(self) -> str:
        return f"{self.name} ({self.type})"


class Event(_Record):
    """``id, type ('LINK_ARTIFACT' or 'ADD_ARTIFACT_ALIAS'), collection, version_index, version, alias, author, created_at``."""

    def __str__(self) -> str:
        return f"{self.type} {self.collection}:{self.version}" + (f" alias {self.alias}" if self.alias else "")


class Automation(_Record):
    """``id, name, description, event_type, collection, alias_pattern, action_type, action_name, queue, enabled, problem,
    last_run_status, last_run_at``; from :meth:`Api.automation` also ``webhook_id, payload_template, launch``."""

    project_path: str = ""

    def __init__(self, api: "Api", raw: Dict[str, Any], project_path: str):
        summary = dict(raw.get("summary") or raw)
        for extra in ("webhookId", "payloadTemplate", "launch"):
            if extra in raw:
                summary[extra] = raw[extra]
        super().__init__(api, summary)
        self.project_path = project_path

    def __str__(self) -> str:
        return f"{self.id} {self.name}" + ("" if self.enabled else " (disabled)")

    def enable(self) -> "Automation":
        self._api.set_automation_enabled(self.project_path, self.id, True)
        self.enabled = True
        return self

    def disable(self) -> "Automation":
        self._api.set_automation_enabled(self.project_path, self.id, False)
        self.enabled = False
        return self

    def delete(self) -> None:
        self._api.delete_automation(self.project_path, self.id)

    def runs(self, status: Optional[str] = None) -> Iterator["Run"]:
        return self._api.runs(self.project_path, automation_id=self.id, status=status)


class Run(_Record):
    """One execution of an automation's action: ``id, message_id, automation_id, automation_name, status ('Pending',
    'Retrying', 'Succeeded', 'Failed'), event_type, event_id, version, alias, webhook_name, attempt_count, created_at,
    completed_at, next_attempt_at, last_error, action_type``; from :meth:`Api.run` also ``attempts``."""

    project_path: str = ""

    def __init__(self, api: "Api", raw: Dict[str, Any], project_path: str):
        summary = dict(raw.get("run") or raw)
        if "attempts" in raw:
            summary["attempts"] = raw["attempts"]
            summary["launchRunIds"] = raw.get("launchRunIds", [])
        super().__init__(api, summary)
        self.project_path = project_path

    @property
    def done(self) -> bool:
        return self.status in FINISHED_RUN_STATUSES

    def __str__(self) -> str:
        return f"run {self.id} {self.status} ({self.automation_name}, {self.version})"

    def redeliver(self) -> "Run":
        return self._api.redeliver(self.project_path, self.id)


# ----------------------------------------------------------------------------------------------------------------
# The API


class Api:
    """The Automations REST API.

    ``Api()`` reads ``AUTOMATIONS_BASE_URL`` (e.g. ``https://automations.example.com``) and ``AUTOMATIONS_API_KEY``
    (Settings → API keys); both can be given instead. Paths name things as W&B does: ``team/project`` for a project,
    ``team/project/collection`` for a collection, ``team/project/collection:alias`` (or ``:v3``) for a version.
    """

    def __init__(self, base_url: Optional[str] = None, api_key: Optional[str] = None, *, timeout: float = 30.0,
                 max_retries: int = 5, backoff: float = 0.5, max_backoff: float = 30.0, run_id: Optional[str] = None):
        base_url = base_url or os.environ.get("AUTOMATIONS_BASE_URL")
        api_key = api_key or os.environ.get("AUTOMATIONS_API_KEY")
        if not base_url:
            raise ValueError("No server: pass base_url or set AUTOMATIONS_BASE_URL (e.g. https://automations.example.com).")
        if not api_key:
            raise ValueError("No API key: pass api_key or set AUTOMATIONS_API_KEY (Settings → API keys).")
        parsed = urllib.parse.urlparse(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}.")
        self.base_url = base_url.rstrip("/")
        #: Identifies the script's run for idempotency keys; a launched job gets AUTOMATIONS_RUN_ID from its agent.
        self.run_id = run_id or os.environ.get("AUTOMATIONS_RUN_ID")
        self._http = _Http(self.base_url, api_key, timeout, max_retries, backoff, max_backoff)
        self._logged: Dict[str, int] = {}

    # -- teams and projects ------------------------------------------------------------------------------------

    def teams(self) -> List[Dict[str, Any]]:
        return self._http.request("GET", "teams")

    def projects(self, team: str) -> List[Dict[str, Any]]:
        return self._http.request("GET", f"teams/{_q(team)}/projects")

    def create_project(self, team: str, name: str, description: Optional[str] = None) -> Dict[str, Any]:
        return self._http.request("POST", f"teams/{_q(team)}/projects", {"name": name, "description": description})

    # -- collections and versions ------------------------------------------------------------------------------

    def collections(self, project_path: str) -> List[Collection]:
        team, project = _split(project_path, 2, "A project path")
        return [Collection(self, c) for c in self._http.request("GET", f"teams/{_q(team)}/projects/{_q(project)}/collections")]

    def collection(self, collection_path: str) -> Collection:
        team, project, collection = _split(collection_path, 3, "A collection path")
        return Collection(self, self._http.request("GET", f"teams/{_q(team)}/projects/{_q(project)}/collections/{_q(collection)}"))

    def versions(self, collection_path: str, page_size: int = 50) -> Iterator[Version]:
        """Every version, newest first, fetched a page at a time as you iterate."""
        team, project, collection = _split(collection_path, 3, "A collection path")
        path = f"teams/{_q(team)}/projects/{_q(project)}/collections/{_q(collection)}/versions"
        for item in self._pages(path, page_size):
            item.setdefault("entity", team)
            item.setdefault("project", project)
            item.setdefault("collection", collection)
            yield Version(self, item)

    def version(self, path: str) -> Version:
        """``team/project/collection:alias`` or ``…:v3`` (``:latest`` when no reference is given)."""
        team, project, collection, reference = parse_version_path(path)
        return Version(self, self._http.request(
            "GET", f"teams/{_q(team)}/projects/{_q(project)}/collections/{_q(collection)}/versions/{_q(reference)}"))

    def log_version(self, collection_path: str, *, type: Optional[str] = None, files: Iterable[FileSpec] = (),
                    metadata: Optional[Mapping[str, Any]] = None, aliases: Sequence[str] = (), description: Optional[str] = None,
                    digest: Optional[str] = None, idempotency_key: Optional[str] = None, run_id: Optional[str] = None) -> Version:
        """Logs a new version of a collection (created on first use when ``type`` is given).

        ``files``: paths of files and folders (a folder adds every file under it, named relative to the folder), or
        ``(name, path)`` pairs; each becomes a manifest entry with its size and ``sha256:`` digest. The request carries
        an ``Idempotency-Key`` derived from the run id (``run_id``, the Api's, or ``AUTOMATIONS_RUN_ID``), the collection
        and how many versions of it this Api has logged, so a script that is retried logs each version once: the server
        answers a repeat with the version it already made. ``idempotency_key`` sets the key yourself.
        """
        team, project, collection = _split(collection_path, 3, "A collection path")
        body: Dict[str, Any] = {"type": type, "description": description, "aliases": list(aliases), "digest": digest}
        if metadata is not None:
            body["metadata"] = dict(metadata)
        manifest = manifest_entries(files)
        if manifest:
            body["manifest"] = manifest
        headers = {}
        key = idempotency_key or self._idempotency_key(collection_path, run_id)
        if key:
            headers["Idempotency-Key"] = key
        created = self._http.request(
            "POST", f"teams/{_q(team)}/projects/{_q(project)}/collections/{_q(collection)}/versions", body, headers=headers)
        return Version(self, created)

    def _idempotency_key(self, collection_path: str, run_id: Optional[str]) -> Optional[str]:
        run = run_id or self.run_id
        if not run:
            return None
        n = self._logged.get(collection_path, 0)
        self._logged[collection_path] = n + 1
        return "py-" + hashlib.sha256(f"{run}\n{collection_path}\n{n}".encode()).hexdigest()[:48]

    def add_alias(self, version_path: str, alias: str) -> Version:
        team, project, collection, reference = parse_version_path(version_path)
        return Version(self, self._http.request(
            "POST", f"teams/{_q(team)}/projects/{_q(project)}/collections/{_q(collection)}/versions/{_q(reference)}/aliases",
            {"alias": alias}, idempotent=True))

    def remove_alias(self, version_path: str, alias: str) -> Version:
        team, project, collection, reference = parse_version_path(version_path)
        return Version(self, self._http.request(
            "DELETE", f"teams/{_q(team)}/projects/{_q(project)}/collections/{_q(collection)}/versions/{_q(reference)}/aliases/{_q(alias)}"))

    def events(self, project_path: str, page_size: int = 50) -> Iterator[Event]:
        """The project's events, newest first."""
        team, project = _split(project_path, 2, "A project path")
        for item in self._pages(f"teams/{_q(team)}/projects/{_q(project)}/events", page_size):
            yield Event(self, item)

    # -- automations -----------------------------------------------------------------------------------------

    def automations(self, project_path: str) -> List[Automation]:
        """Every automation of the project, by name (the server answers up to 1,000 at a time; the rest by cursor)."""
        team, project = _split(project_path, 2, "A project path")
        path = f"teams/{_q(team)}/projects/{_q(project)}/automations"
        found: List[Automation] = []
        after: Optional[str] = None
        while True:
            page = self._http.request("GET", path, query={"pageSize": 1000, "after": after})
            found.extend(Automation(self, a, project_path) for a in page)
            if len(page) < 1000:
                return found
            after = page[-1]["name"]

    def automation(self, project_path: str, automation_id: int) -> Automation:
        team, project = _split(project_path, 2, "A project path")
        return Automation(self, self._http.request("GET", f"teams/{_q(team)}/projects/{_q(project)}/automations/{int(automation_id)}"), project_path)

    def create_automation(self, project_path: str, *, name: str, event: str, collection: Optional[str] = None,
                          alias_pattern: Optional[str] = None, webhook_id: Optional[int] = None,
                          payload: Union[None, str, Mapping[str, Any]] = None, description: Optional[str] = None,
                          enabled: bool = True, job: Optional[str] = None, job_version: Optional[int] = None,
                          queue: Optional[str] = None, destination_project: Optional[str] = None,
                          overrides: Union[None, str, Mapping[str, Any]] = None) -> Automation:
        """Creates an automation, with the wizard's validation.

        ``event``: ``"new_version"`` (LINK_ARTIFACT, needs ``collection``) or ``"alias_added"`` (ADD_ARTIFACT_ALIAS, needs
        ``alias_pattern``, a regular expression; ``collection`` optional). The action is a webhook (``webhook_id`` and a
        ``payload`` template: a dict or JSON text with ``${event_type}``-style variables) or a job (``job`` and ``queue``,
        optionally ``job_version``, ``destination_project``, ``overrides``).
        """
        team, project = _split(project_path, 2, "A project path")
        if event not in EVENT_TYPES:
            raise ValueError(f"event must be one of {', '.join(sorted(EVENT_TYPES))}, not {event!r}")
        body = {
            "name": name, "description": description, "eventType": EVENT_TYPES[event], "collection": collection,
            "aliasPattern": alias_pattern, "enabled": enabled,
        }
        if job is not None:
            body.update({"actionType": "job", "job": job, "jobVersion": job_version, "queue": queue,
                         "destinationProject": destination_project, "overrides": _json_text(overrides)})
        else:
            body.update({"actionType": "webhook", "webhookId": webhook_id, "payloadTemplate": _json_text(payload) or "{}"})
        return Automation(self, self._http.request("POST", f"teams/{_q(team)}/projects/{_q(project)}/automations", body), project_path)

    def set_automation_enabled(self, project_path: str, automation_id: int, enabled: bool) -> None:
        team, project = _split(project_path, 2, "A project path")
        self._http.request("PUT", f"teams/{_q(team)}/projects/{_q(project)}/automations/{int(automation_id)}/enabled", {"enabled": enabled})

    def delete_automation(self, project_path: str, automation_id: int) -> None:
        team, project = _split(project_path, 2, "A project path")
        self._http.request("DELETE", f"teams/{_q(team)}/projects/{_q(project)}/automations/{int(automation_id)}")

    # -- runs --------------------------------------------------------------------------------------------------

    def runs(self, project_path: str, automation_id: Optional[int] = None, status: Optional[str] = None, page_size: int = 50) -> Iterator[Run]:
        """The project's runs, newest first; ``status`` is Pending, Retrying, Succeeded or Failed."""
        team, project = _split(project_path, 2, "A project path")
        query = {"automationId": automation_id, "status": status}
        for item in self._pages(f"teams/{_q(team)}/projects/{_q(project)}/runs", page_size, query):
            yield Run(self, item, project_path)

    def run(self, project_path: str, run_id: int) -> Run:
        """One run with every attempt as stored (secrets redacted)."""
        team, project = _split(project_path, 2, "A project path")
        return Run(self, self._http.request("GET", f"teams/{_q(team)}/projects/{_q(project)}/runs/{int(run_id)}"), project_path)

    def redeliver(self, project_path: str, run_id: int) -> Run:
        team, project = _split(project_path, 2, "A project path")
        self._http.request("POST", f"teams/{_q(team)}/projects/{_q(project)}/runs/{int(run_id)}/redeliver", idempotent=False)
        return self.run(project_path, run_id)

    def wait_for_run(self, project_path: str, *, run_id: Optional[int] = None, automation_id: Optional[int] = None,
                     after: Optional[int] = None, timeout: float = 120.0, interval: float = 1.0) -> Run:
        """Waits until a run has finished (Succeeded or Failed) and returns it with its attempts.

        Give ``run_id``, or ``automation_id`` to wait for that automation's newest run with an id above ``after``
        (runs are made a moment after the event, so a run may not exist yet when you start waiting). A run that
        is retrying is not finished. Raises ``TimeoutError`` when ``timeout`` seconds pass first.
        """
        if run_id is None and automation_id is None:
            raise ValueError("Give run_id or automation_id.")
        deadline = time.monotonic() + timeout
        while True:
            current: Optional[Run] = None
            if run_id is not None:
                current = self.run(project_path, run_id)
            else:
                newest = next(self.runs(project_path, automation_id=automation_id, page_size=1), None)
                if newest is not None and (after is None or newest.id > after):
                    current = newest
            if current is not None and current.done:
                return self.run(project_path, current.id)
            if time.monotonic() >= deadline:
                state = "no run yet" if current is None else f"run {current.id} is {current.status}" + (
                    f" (last error: {current.last_error})" if current.last_error else "")
                raise TimeoutError(f"Waited {timeout:g} s for a finished run: {state}.")
            time.sleep(interval)

    # -- team settings (admins) ---------------------------------------------------------------------------------

    def create_secret(self, team: str, name: str, value: str) -> Dict[str, Any]:
        return self._http.request("POST", f"teams/{_q(team)}/secrets", {"name": name, "value": value})

    def create_webhook(self, team: str, name: str, url: str, secret_name: Optional[str] = None,
                       access_token_name: Optional[str] = None) -> Dict[str, Any]:
        return self._http.request("POST", f"teams/{_q(team)}/webhooks",
                                  {"name": name, "url": url, "secretName": secret_name, "accessTokenName": access_token_name})

    # -- paging ------------------------------------------------------------------------------------------------

    def _pages(self, path: str, page_size: int, query: Optional[Mapping[str, Any]] = None) -> Iterator[Dict[str, Any]]:
        """A list's items, a page at a time, by cursor: each page's ``next`` is the next one's ``after``, so rows added
        meanwhile are neither repeated nor skipped, and a deep page costs what the first does."""
        after: Optional[str] = None
        while True:
            answer = self._http.request("GET", path, query={**(query or {}), "pageSize": page_size, "after": after})
            items = answer.get("items") or []
            for item in items:
                yield item
            after = answer.get("next")
            if not items or not after:
                return


def _json_text(value: Union[None, str, Mapping[str, Any]]) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, indent=2)


def file_digest(path: Union[str, "os.PathLike[str]"]) -> Tuple[int, str]:
    """(size, ``sha256:<hex>``) of a file, read in 1 MB chunks."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return size, "sha256:" + h.hexdigest()


def manifest_entries(files: Iterable[FileSpec]) -> List[Dict[str, Any]]:
    """Manifest entries (path, size, digest) for files and folders, sorted by path; a repeated path is an error."""
    entries: Dict[str, Dict[str, Any]] = {}

    def add(name: str, local: Path) -> None:
        if name in entries:
            raise ValueError(f"Two files would both be named {name!r} in the manifest.")
        size, digest = file_digest(local)
        entries[name] = {"path": name, "size": size, "digest": digest}

    for spec in files:
        name, local = (spec[0], Path(spec[1])) if isinstance(spec, tuple) else (None, Path(spec))
        if local.is_dir():
            for child in sorted(p for p in local.rglob("*") if p.is_file()):
                relative = child.relative_to(local).as_posix()
                add(f"{name.rstrip('/')}/{relative}" if name else relative, child)
        elif local.is_file():
            add(name or local.name, local)
        else:
            raise FileNotFoundError(f"No such file or folder: {local}")
    return [entries[k] for k in sorted(entries)]
