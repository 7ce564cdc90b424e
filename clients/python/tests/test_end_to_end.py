"""Against a real Automations server: AUTOMATIONS_BASE_URL, AUTOMATIONS_API_KEY (a team admin's key) and
AUTOMATIONS_TEST_TEAM. App.Tests/E2E/PythonClientTests.cs starts the app on a loopback port and runs these.

The receiver is the README's http.server example: it accepts only deliveries that `automations.webhooks.verify`
accepts, so a delivery arriving proves the signatures as a Python receiver checks them."""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from automations import Api, BadRequest, Conflict, NotFound, Unauthorized
from automations.webhooks import WebhookVerificationError, verify

BASE_URL = os.environ.get("AUTOMATIONS_BASE_URL")
KEY = os.environ.get("AUTOMATIONS_API_KEY")
TEAM = os.environ.get("AUTOMATIONS_TEST_TEAM")
SIGNING_SECRET = "py-signing-" + uuid.uuid4().hex


class Receiver(BaseHTTPRequestHandler):
    verified = []
    refused = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            message_id = verify(body, self.headers, SIGNING_SECRET)
        except WebhookVerificationError as e:
            Receiver.refused.append(str(e))
            self.send_response(401)
            self.end_headers()
            return
        Receiver.verified.append((message_id, json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@unittest.skipUnless(BASE_URL and KEY and TEAM, "needs AUTOMATIONS_BASE_URL, AUTOMATIONS_API_KEY and AUTOMATIONS_TEST_TEAM")
class EndToEndTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.receiver = HTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=cls.receiver.serve_forever, daemon=True).start()
        cls.api = Api(run_id="run-" + uuid.uuid4().hex)
        cls.project_name = "py-" + uuid.uuid4().hex[:8]
        cls.project = f"{TEAM}/{cls.project_name}"
        cls.api.create_project(TEAM, cls.project_name)
        secret = "PY_SIGNING_" + uuid.uuid4().hex[:6].upper()
        cls.api.create_secret(TEAM, secret, SIGNING_SECRET)
        cls.webhook = cls.api.create_webhook(TEAM, "py-receiver-" + uuid.uuid4().hex[:6], f"http://localhost:{cls.receiver.server_port}/hook", secret_name=secret)
        cls.work = tempfile.TemporaryDirectory()
        Path(cls.work.name, "eval.parquet").write_bytes(b"rows" * 100)
        Path(cls.work.name, "shards").mkdir()
        Path(cls.work.name, "shards", "0.bin").write_bytes(b"\x00\x01")

    @classmethod
    def tearDownClass(cls):
        cls.receiver.shutdown()
        cls.work.cleanup()

    def file(self, name):
        return os.path.join(self.work.name, name)

    def test_log_versions_trigger_a_signed_delivery_and_retries_of_the_script_log_once(self):
        collection = f"{self.project}/eval-set"
        first = self.api.log_version(collection, type="dataset", files=[self.file("eval.parquet"), self.file("shards")],
                                     metadata={"rows": 400}, description="nightly")
        self.assertEqual("v0", first.version)
        self.assertEqual(["0.bin", "eval.parquet"], [e["path"] for e in first.manifest])
        self.assertEqual({"rows": 400}, first.metadata)
        self.assertIn("latest", first.aliases)

        automation = self.api.create_automation(self.project, name="Notify receiver", event="new_version", collection="eval-set",
                                                webhook_id=self.webhook["id"],
                                                payload={"event": "${event_type}", "version": "${artifact_version_string}"})
        self.assertTrue(automation.enabled)
        self.assertIn(automation.id, [a.id for a in self.api.automations(self.project)])

        # The same script run logs v1; then the script is retried from the start with the same run id.
        run_id = "train-" + uuid.uuid4().hex
        logged = Api(run_id=run_id).log_version(collection, files=[self.file("eval.parquet")], aliases=["candidate"])
        again = Api(run_id=run_id).log_version(collection, files=[self.file("eval.parquet")], aliases=["candidate"])
        self.assertEqual(("v1", logged.id), (again.version, again.id))
        self.assertEqual(["v1", "v0"], [v.version for v in self.api.versions(collection)])

        run = self.api.wait_for_run(self.project, automation_id=automation.id, timeout=60, interval=0.2)
        self.assertEqual("Succeeded", run.status)
        self.assertEqual(204, run.attempts[0]["responseStatus"])
        self.assertEqual([], Receiver.refused)
        message_id, payload = Receiver.verified[-1]
        self.assertEqual(run.message_id, message_id)
        self.assertEqual({"event": "LINK_ARTIFACT", "version": f"{TEAM}/{self.project_name}/eval-set:v1"}, payload)

        # Disabled, it does not run.
        automation.disable()
        self.assertFalse(self.api.automation(self.project, automation.id).enabled)
        self.api.log_version(collection)
        time.sleep(1.5)
        self.assertEqual([run.id], [r.id for r in automation.runs()])

    def test_aliases_move_and_versions_are_fetched_by_alias_or_index(self):
        collection = f"{self.project}/model"
        v0 = self.api.log_version(collection, type="model")
        v1 = self.api.log_version(collection)
        v0.add_alias("production")
        self.assertIn("production", v0.aliases)
        self.assertEqual("v0", self.api.version(f"{collection}:production").version)
        moved = self.api.add_alias(v1.path, "production")
        self.assertIn("production", moved.aliases)
        self.assertNotIn("production", self.api.version(f"{collection}:v0").aliases)
        self.assertEqual("v1", self.api.version(f"{collection}:latest").version)
        moved.remove_alias("production")
        with self.assertRaises(NotFound):
            self.api.version(f"{collection}:production")
        types = [(e.type, e.alias) for e in self.api.events(self.project)]
        self.assertIn(("ADD_ARTIFACT_ALIAS", "production"), types)
        self.assertIn(("LINK_ARTIFACT", None), types)
        self.assertIn("model", [c.name for c in self.api.collections(self.project)])

    def test_the_servers_refusals_arrive_as_typed_errors_with_the_field(self):
        collection = f"{self.project}/errors"
        version = self.api.log_version(collection, type="dataset")
        with self.assertRaises(BadRequest) as caught:
            version.add_alias("not an alias")
        self.assertEqual(400, caught.exception.status)
        self.assertTrue(caught.exception.errors, caught.exception.problem)
        with self.assertRaises(NotFound):
            self.api.collection(f"{self.project}/no-such-collection")
        key = "k-" + uuid.uuid4().hex
        self.api.log_version(collection, idempotency_key=key, description="a")
        with self.assertRaises(Conflict):  # the same key with another body
            self.api.log_version(collection, idempotency_key=key, description="b")
        with self.assertRaises(Unauthorized):
            Api(api_key="ak_not-a-key").teams()

    def test_the_command_line_logs_adds_aliases_and_lists_runs(self):
        env = dict(os.environ)

        def cli(*args):
            return subprocess.run([sys.executable, "-m", "automations", *args], capture_output=True, text=True, env=env, timeout=60)

        logged = cli("--json", "log-version", f"{self.project}/cli-set", "--type", "dataset", "--file", self.file("eval.parquet"),
                     "--alias", "candidate", "--metadata", '{"rows": 12}', "--run-id", "cli-run")
        self.assertEqual(0, logged.returncode, logged.stderr)
        version = json.loads(logged.stdout)
        self.assertEqual(({"rows": 12}, "v0"), (version["metadata"], version["version"]))
        repeat = cli("log-version", f"{self.project}/cli-set", "--type", "dataset", "--file", self.file("eval.parquet"),
                     "--alias", "candidate", "--metadata", '{"rows": 12}', "--run-id", "cli-run")
        self.assertEqual(0, repeat.returncode, repeat.stderr)
        self.assertTrue(repeat.stdout.startswith(f"{self.project}/cli-set:v0 "), repeat.stdout)

        added = cli("add-alias", f"{self.project}/cli-set:v0", "production")
        self.assertEqual(0, added.returncode, added.stderr)
        self.assertIn("production", added.stdout)
        refused = cli("add-alias", f"{self.project}/cli-set:v0", "not valid")
        self.assertEqual(1, refused.returncode)
        self.assertIn("HTTP 400", refused.stderr)
        runs = cli("--json", "runs", self.project, "--limit", "5")
        self.assertEqual(0, runs.returncode, runs.stderr)
        self.assertIsInstance(json.loads(runs.stdout), list)
        usage = cli("log-version", "not-a-path")
        self.assertEqual(2, usage.returncode)
        self.assertIn("TEAM/PROJECT/COLLECTION", usage.stderr)


if __name__ == "__main__":
    unittest.main()
