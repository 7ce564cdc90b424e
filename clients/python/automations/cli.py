"""``python -m automations`` (or ``automations`` once installed): the client's common calls from a shell or CI step.

    python -m automations log-version acme/vision/eval-set --type dataset --file eval.parquet --alias candidate
    python -m automations add-alias acme/vision/eval-set:v3 production
    python -m automations runs acme/vision --status Failed

Exit codes: 0 done, 1 the server refused or could not be reached (the reason on stderr), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional

from .client import Api, AutomationsError, __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m automations", description="Automations from the command line. "
                                     "The server and key come from AUTOMATIONS_BASE_URL and AUTOMATIONS_API_KEY (or --base-url, --api-key).")
    parser.add_argument("--version", action="version", version=f"automations-client {__version__}")
    parser.add_argument("--base-url", help="the server, e.g. https://automations.example.com [env: AUTOMATIONS_BASE_URL]")
    parser.add_argument("--api-key", help="an API key (prefer the environment variable) [env: AUTOMATIONS_API_KEY]")
    parser.add_argument("--json", action="store_true", help="print the server's JSON instead of a summary line")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    log = commands.add_parser("log-version", help="log a new version of a collection from files and folders")
    log.add_argument("collection", metavar="TEAM/PROJECT/COLLECTION")
    log.add_argument("--type", help="the collection's type (dataset, model, …); creates the collection on first use")
    log.add_argument("--file", action="append", default=[], metavar="PATH", help="a file or folder to list in the manifest (repeatable)")
    log.add_argument("--alias", action="append", default=[], metavar="ALIAS", help="an alias for the new version (repeatable)")
    log.add_argument("--metadata", metavar="JSON", help="a JSON object of metadata")
    log.add_argument("--description")
    log.add_argument("--run-id", help="makes the call idempotent per run: a retried step logs once [env: AUTOMATIONS_RUN_ID]")
    log.add_argument("--idempotency-key", help="the Idempotency-Key to send, instead of one derived from --run-id")

    add = commands.add_parser("add-alias", help="add (or move) an alias to a version")
    add.add_argument("version", metavar="TEAM/PROJECT/COLLECTION:REF")
    add.add_argument("alias")

    remove = commands.add_parser("remove-alias", help="remove an alias from a version")
    remove.add_argument("version", metavar="TEAM/PROJECT/COLLECTION:REF")
    remove.add_argument("alias")

    show = commands.add_parser("version", help="show one version (by alias or vN)")
    show.add_argument("version", metavar="TEAM/PROJECT/COLLECTION[:REF]")

    runs = commands.add_parser("runs", help="list a project's automation runs, newest first")
    runs.add_argument("project", metavar="TEAM/PROJECT")
    runs.add_argument("--automation", type=int, metavar="ID")
    runs.add_argument("--status", choices=["Pending", "Retrying", "Succeeded", "Failed"])
    runs.add_argument("--limit", type=int, default=20, help="at most this many (default 20)")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    try:
        api = Api(args.base_url, args.api_key)
        if args.command == "log-version":
            metadata = None
            if args.metadata:
                try:
                    metadata = json.loads(args.metadata)
                except ValueError as e:
                    print(f"--metadata is not JSON: {e}", file=sys.stderr)
                    return 2
                if not isinstance(metadata, dict):
                    print("--metadata must be a JSON object.", file=sys.stderr)
                    return 2
            version = api.log_version(args.collection, type=args.type, files=args.file, aliases=args.alias, metadata=metadata,
                                      description=args.description, run_id=args.run_id, idempotency_key=args.idempotency_key)
            _print(args, version.raw, f"{version.path} {version.digest} aliases: {', '.join(version.aliases)}")
        elif args.command in ("add-alias", "remove-alias"):
            call = api.add_alias if args.command == "add-alias" else api.remove_alias
            version = call(args.version, args.alias)
            _print(args, version.raw, f"{version.path} aliases: {', '.join(version.aliases)}")
        elif args.command == "version":
            version = api.version(args.version)
            _print(args, version.raw, f"{version.path} {version.digest} aliases: {', '.join(version.aliases)}")
        elif args.command == "runs":
            shown = []
            for run in api.runs(args.project, automation_id=args.automation, status=args.status, page_size=min(max(args.limit, 1), 200)):
                if len(shown) >= args.limit:
                    break
                shown.append(run)
            if args.json:
                print(json.dumps([r.raw for r in shown], indent=2))
            else:
                for run in shown:
                    print(f"{run.id}\t{run.status}\t{run.created_at}\t{run.automation_name}\t{run.version}"
                          + (f"\t{run.last_error}" if run.last_error else ""))
        return 0
    except (ValueError, FileNotFoundError) as e:
        print(e, file=sys.stderr)
        return 2
    except AutomationsError as e:
        print(e, file=sys.stderr)
        return 1


def _print(args: argparse.Namespace, raw: object, line: str) -> None:
    print(json.dumps(raw, indent=2) if args.json else line)
