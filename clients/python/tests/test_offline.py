"""Tests that need no Automations server: signatures, manifests, paths, errors and retries against a stub server."""

import base64
import hashlib
import hmac
import json
import os
import tempfile
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import automations
from automations import Api, BadRequest, ConnectionFailed, NotFound, ServerError, manifest_entries, parse_version_path
from automations.webhooks import WebhookVerificationError, standard_webhooks_key, verify, verify_standard_webhook, verify_wandb_signature

SECRET = "s3cr3t-value"


def signed_headers(body: bytes, secret: str = SECRET, timestamp=None, message_id="msg_abc"):
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    standard = base64.b64encode(hmac.new(secret.encode(), f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()).decode()
    wandb = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"X-Wandb-Signature": wandb, "webhook-id": message_id, "webhook-timestamp": timestamp, "webhook-signature": f"v1,{standard}"}


class WebhookTests(unittest.TestCase):
    body = b'{"event_type":"LINK_ARTIFACT"}'

    def test_a_signed_delivery_verifies_and_returns_its_message_id(self):
        self.assertEqual("msg_abc", verify(self.body, signed_headers(self.body), SECRET))

    def test_header_names_are_case_insensitive_and_several_signatures_may_be_sent(self):
        headers = {k.upper(): v for k, v in signed_headers(self.body).items()}
        headers["WEBHOOK-SIGNATURE"] = "v1,bm90LWl0 " + headers["WEBHOOK-SIGNATURE"]
        self.assertEqual("msg_abc", verify(self.body, headers, SECRET))

    def test_a_changed_body_a_wrong_secret_or_a_missing_header_is_refused(self):
        headers = signed_headers(self.body)
        for body, secret, hdrs in [
            (self.body + b" ", SECRET, headers),
            (self.body, "other", headers),
            (self.body, SECRET, {k: v for k, v in headers.items() if k != "X-Wandb-Signature"}),
            (self.body, SECRET, {k: v for k, v in headers.items() if k != "webhook-signature"}),
        ]:
            with self.assertRaises(WebhookVerificationError):
                verify(body, hdrs, secret)

    def test_old_and_future_timestamps_are_refused_within_the_tolerance_they_pass(self):
        now = 1_800_000_000
        for offset, ok in [(-301, False), (-299, True), (299, True), (301, False)]:
            headers = signed_headers(self.body, timestamp=now + offset)
            if ok:
                verify_standard_webhook(self.body, headers, SECRET, now=now)
            else:
                with self.assertRaises(WebhookVerificationError):
                    verify_standard_webhook(self.body, headers, SECRET, now=now)

    def test_the_whsec_form_of_the_key_verifies_the_same(self):
        key = standard_webhooks_key(SECRET)
        self.assertEqual("whsec_" + base64.b64encode(SECRET.encode()).decode(), key)
        self.assertEqual("msg_abc", verify_standard_webhook(self.body, signed_headers(self.body), key))
        verify_wandb_signature(self.body, signed_headers(self.body)["X-Wandb-Signature"], key)


class ManifestTests(unittest.TestCase):
    def test_files_and_folders_become_sorted_entries_with_sizes_and_sha256_digests(self):
        with tempfile.TemporaryDirectory() as d:
            root = Path(d)
            (root / "eval.parquet").write_bytes(b"rows")
            (root / "shards" / "b").mkdir(parents=True)
            (root / "shards" / "a.bin").write_bytes(b"aa")
            (root / "shards" / "b" / "c.bin").write_bytes(b"")
            entries = manifest_entries([root / "eval.parquet", root / "shards", ("renamed/x.txt", str(root / "eval.parquet"))])
        self.assertEqual(["a.bin", "b/c.bin", "eval.parquet", "renamed/x.txt"], [e["path"] for e in entries])
        self.assertEqual({"path": "eval.parquet", "size": 4, "digest": "sha256:" + hashlib.sha256(b"rows").hexdigest()}, entries[2])
        self.assertEqual(0, entries[1]["size"])

    def test_a_missing_file_and_a_repeated_name_are_errors(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaises(FileNotFoundError):
                manifest_entries([os.path.join(d, "nope")])
            Path(d, "x").write_text("1")
            with self.assertRaises(ValueError):
                manifest_entries([Path(d, "x"), ("x", Path(d, "x"))])


class PathAndKeyTests(unittest.TestCase):
    def test_version_paths_name_team_project_collection_and_reference(self):
        self.assertEqual(("acme", "vision", "eval-set", "production"), parse_version_path("acme/vision/eval-set:production"))
        self.assertEqual(("acme", "vision", "eval-set", "latest"), parse_version_path("acme/vision/eval-set"))
        for bad in ["acme/eval-set", "acme//x", "a/b/c/d"]:
            with self.assertRaises(ValueError):
                parse_version_path(bad)

    def test_idempotency_keys_repeat_for_the_same_run_and_differ_per_call(self):
        first, again = Api("http://127.0.0.1:9", "ak_x", run_id="run-42"), Api("http://127.0.0.1:9", "ak_x", run_id="run-42")
        keys = [first._idempotency_key("a/b/c", None), first._idempotency_key("a/b/c", None), first._idempotency_key("a/b/d", None)]
        self.assertEqual(3, len(set(keys)))
        self.assertEqual(keys[:2], [again._idempotency_key("a/b/c", None), again._idempotency_key("a/b/c", None)])
        saved = os.environ.pop("AUTOMATIONS_RUN_ID", None)
        try:
            self.assertIsNone(Api("http://127.0.0.1:9", "ak_x")._idempotency_key("a/b/c", None), "no run id, no key")
        finally:
            if saved is not None:
                os.environ["AUTOMATIONS_RUN_ID"] = saved

    def test_the_api_needs_a_server_and_a_key(self):
        saved = {k: os.environ.pop(k, None) for k in ("AUTOMATIONS_BASE_URL", "AUTOMATIONS_API_KEY")}
        try:
            with self.assertRaisesRegex(ValueError, "AUTOMATIONS_BASE_URL"):
                Api()
            with self.assertRaisesRegex(ValueError, "AUTOMATIONS_API_KEY"):
                Api("http://localhost:5080")
            with self.assertRaisesRegex(ValueError, "http"):
                Api("localhost:5080", "ak_x")
        finally:
            os.environ.update({k: v for k, v in saved.items() if v is not None})


class Stub(BaseHTTPRequestHandler):
    """Answers from a script: a list of (status, body, headers) per path; records what it was asked."""

    script = {}
    seen = []

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        Stub.seen.append((self.command, self.path, dict(self.headers), body))
        answers = Stub.script.get(self.path.split("?")[0], [(404, {"title": "Not Found", "status": 404}, {})])
        status, payload, headers = answers.pop(0) if len(answers) > 1 else answers[0]
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/problem+json" if status >= 400 else "application/json")
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        pass


class TransportTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = HTTPServer(("127.0.0.1", 0), Stub)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.api = Api(f"http://127.0.0.1:{cls.server.server_port}", "ak_test", backoff=0.01, max_retries=3)

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()

    def setUp(self):
        Stub.script, Stub.seen = {}, []

    def test_reads_retry_5xx_and_429_then_succeed_and_send_the_key(self):
        Stub.script["/api/v1/teams"] = [(503, {}, {}), (429, {}, {"Retry-After": "0"}), (200, [{"slug": "acme"}], {})]
        self.assertEqual([{"slug": "acme"}], self.api.teams())
        self.assertEqual(3, len(Stub.seen))
        self.assertEqual("Bearer ak_test", Stub.seen[0][2]["Authorization"])
        self.assertTrue(Stub.seen[0][2]["User-Agent"].startswith("automations-python/"))

    def test_a_post_without_an_idempotency_key_is_not_repeated_after_a_5xx(self):
        Stub.script["/api/v1/teams/acme/projects"] = [(500, {"title": "boom", "status": 500}, {})]
        with self.assertRaises(ServerError):
            self.api.create_project("acme", "p")
        self.assertEqual(1, len(Stub.seen))

    def test_log_version_with_a_run_id_sends_a_key_and_is_retried(self):
        path = "/api/v1/teams/acme/projects/vision/collections/eval/versions"
        version = {"entity": "acme", "project": "vision", "collection": "eval", "version": "v0", "aliases": [], "digest": "d"}
        Stub.script[path] = [(502, {}, {}), (201, version, {})]
        logged = self.api.log_version("acme/vision/eval", type="dataset", run_id="run-1")
        self.assertEqual("acme/vision/eval:v0", logged.path)
        self.assertEqual(2, len(Stub.seen))
        self.assertEqual(Stub.seen[0][2]["Idempotency-Key"], Stub.seen[1][2]["Idempotency-Key"])
        self.assertEqual({"type": "dataset", "description": None, "aliases": [], "digest": None}, json.loads(Stub.seen[0][3]))

    def test_problem_details_become_typed_errors_naming_the_field(self):
        problem = {"title": "Invalid input", "status": 400, "detail": "One or more fields are invalid.", "errors": {"alias": ["Alias 'a b' is invalid."]}}
        Stub.script["/api/v1/teams/acme/projects/vision/collections/eval/versions/v0/aliases"] = [(400, problem, {})]
        with self.assertRaises(BadRequest) as caught:
            self.api.add_alias("acme/vision/eval:v0", "a b")
        self.assertEqual(400, caught.exception.status)
        self.assertEqual({"alias": ["Alias 'a b' is invalid."]}, caught.exception.errors)
        self.assertIn("alias: Alias 'a b' is invalid.", str(caught.exception))
        with self.assertRaises(NotFound):
            self.api.version("acme/vision/missing:latest")

    def test_an_unreachable_server_is_a_connection_failure_after_the_retries(self):
        api = Api("http://127.0.0.1:9", "ak_test", backoff=0.01, max_retries=2, timeout=2)
        with self.assertRaises(ConnectionFailed):
            api.teams()


class PackageTests(unittest.TestCase):
    def test_the_package_uses_the_standard_library_only(self):
        import ast
        import sys
        stdlib = set(getattr(sys, "stdlib_module_names", ())) or None
        package = Path(automations.__file__).parent
        for source in package.glob("*.py"):
            for node in ast.walk(ast.parse(source.read_text())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
                for name in names:
                    top = name.split(".")[0]
                    if top != "__future__" and stdlib is not None:
                        self.assertIn(top, stdlib, f"{source.name} imports {name}")


if __name__ == "__main__":
    unittest.main()
