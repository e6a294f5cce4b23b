#!/usr/bin/env python3
"""Runs schemathesis against one surface of a running gateway and checks the answers.

Started by the Rust test `reliability::fuzz` (which starts the gateway, creates the user and its
credentials and writes the run spec), or by hand against any gateway:

    .venv-fuzz/bin/python tests/fuzz/run.py SPEC.json

SPEC.json:
    surface         name, for messages
    document        URL of the surface's OpenAPI document (/openapi/<surface>.json)
    base_url        http://127.0.0.1:PORT
    headers         headers sent with every request (credentials)
    operations      [{"path", "method", "headers"}]: per-operation header overrides
    parameters      optional {"path.user_id": "...", ...}: fixed parameter values (real ids, so
                    the operations behind them are reached)
    destructive     ["DELETE", ...]: methods fuzzed only in the final round (they may delete the
                    user whose credentials every other round uses)
    min_requests    keep running rounds (new seed each) until at least this many requests were sent
    max_examples    at most this many hypothesis examples per operation and round (fewer when
                    min_requests is reached with fewer: about min_requests / operations)
    max_rounds      give up (and fail) after this many rounds without reaching min_requests
    max_time        optional: seconds of fuzzing per round (long runs)
    workdir         directory for the config, reports and logs
    seed            optional: first seed (round n uses seed + n)

Checks: not_a_server_error, status_code_conformance, content_type_conformance,
response_schema_conformance, i.e. no 5xx and every answer (errors included) has a documented
status, content type and body schema. Every round sends the examples, coverage and fuzzing phases
in positive and negative mode.

Prints one line `FUZZ-SUMMARY {json}` (requests, rounds, statuses, failures) and exits 0 when
nothing failed, 1 when a check failed or a 5xx was seen, 2 when the run could not be made.
"""

from __future__ import annotations

import collections
import json
import os
import random
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def toml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def write_config(path: Path, spec: dict) -> None:
    lines = ["[headers]"]
    for name, value in spec.get("headers", {}).items():
        lines.append(f"{toml_str(name)} = {toml_str(value)}")
    lines += ["", "[generation]", 'database = "none"', ""]
    if spec.get("parameters"):
        lines.append("[parameters]")
        for name, value in spec["parameters"].items():
            lines.append(f"{toml_str(name)} = {toml_str(value)}")
        lines.append("")
    for op in spec.get("operations", []):
        lines.append("[[operations]]")
        lines.append(f"include-path = {toml_str(op['path'])}")
        if op.get("method"):
            lines.append(f"include-method = {toml_str(op['method'].upper())}")
        lines.append("[operations.headers]")
        for name, value in op.get("headers", {}).items():
            lines.append(f"{toml_str(name)} = {toml_str(value)}")
        lines.append("")
    path.write_text("\n".join(lines))


def run_round(spec: dict, workdir: Path, n: int, seed: int, methods: list[str], include: bool) -> dict:
    """One schemathesis run; returns its requests, statuses, failures and output."""
    config = workdir / "schemathesis.toml"
    har = workdir / f"round-{n}.har.json"
    report = workdir / f"round-{n}.report.json"
    exe = Path(sys.executable).parent / "schemathesis"
    cmd = [
        str(exe),
        "--config-file",
        str(config),
        "--no-color",
        "run",
        spec["document"],
        "--url",
        spec["base_url"],
        "--checks",
        CHECKS,
        "--mode",
        "all",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(spec.get("max_examples", 100)),
        "--seed",
        str(seed),
        "--workers",
        "1",
        "--request-timeout",
        "10",
        "--continue-on-failure",
        "--suppress-health-check",
        "all",
        "--report",
        "har,json",
        "--report-har-path",
        str(har),
        "--report-json-path",
        str(report),
        "--output-truncate",
        "true",
    ]
    if spec.get("max_time"):
        cmd += ["--max-time", str(spec["max_time"])]
    for method in methods:
        cmd += ["--include-method" if include else "--exclude-method", method]
    env = dict(os.environ, NO_COLOR="1", COLUMNS="120")
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=workdir, timeout=3600)
    elapsed = time.monotonic() - started
    (workdir / f"round-{n}.log").write_text(proc.stdout + "\n--- stderr\n" + proc.stderr)
    entries = []
    if har.exists():
        entries = json.loads(har.read_text())["log"]["entries"]
    verdict = json.loads(report.read_text()) if report.exists() else {}
    statuses = collections.Counter()
    server_errors = []
    for e in entries:
        req, res = e["request"], e["response"]
        url = req["url"].split(spec["base_url"], 1)[-1]
        statuses[f"{req['method']} {url.split('?')[0]} {res['status']}"] += 1
        if res["status"] >= 500:
            server_errors.append(
                {
                    "method": req["method"],
                    "url": url,
                    "request_headers": {
                        h["name"]: h["value"] for h in req.get("headers", []) if h["name"].lower() != "authorization"
                    },
                    "request_body": (req.get("postData") or {}).get("text", "")[:2000],
                    "status": res["status"],
                    "response_body": (res.get("content") or {}).get("text", "")[:2000],
                }
            )
    failures = verdict.get("failures", [])
    errors = verdict.get("errors", [])
    text = proc.stdout
    details = ""
    if "FAILURES" in text:
        details = text[text.index("FAILURES") :][:20000]
    elif "ERRORS" in text:
        details = text[text.index("ERRORS") :][:20000]
    return {
        "round": n,
        "seed": seed,
        "exit_code": proc.returncode,
        "seconds": round(elapsed, 1),
        "requests": len(entries),
        "test_cases": verdict.get("test_cases", {}).get("generated", 0),
        "statuses": statuses,
        "server_errors": server_errors,
        "failures": failures,
        "errors": errors,
        "details": details,
        "log": str(workdir / f"round-{n}.log"),
        "complete": bool(verdict.get("complete")),
    }


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    spec = json.loads(Path(sys.argv[1]).read_text())
    workdir = Path(spec["workdir"])
    workdir.mkdir(parents=True, exist_ok=True)
    write_config(workdir / "schemathesis.toml", spec)
    with urllib.request.urlopen(spec["document"], timeout=30) as res:
        document = json.load(res)
    present = {m.upper() for item in document.get("paths", {}).values() for m in item}
    # Only the destructive methods the document has: a round with no operation cannot run.
    destructive = [m.upper() for m in spec.get("destructive", []) if m.upper() in present]
    methods = {"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}
    operations = [
        m.upper() for item in document.get("paths", {}).values() for m in item if m.upper() in methods
    ]
    # Examples per operation so that one round sends about `min_requests` requests (each example
    # is one request; the coverage phase adds its own), capped by `max_examples`.
    regular = max(1, sum(1 for m in operations if m not in destructive))
    spec["max_examples"] = max(10, min(int(spec.get("max_examples", 100)), -(-int(spec.get("min_requests", 1000)) // regular)))
    base_seed = int(spec.get("seed") or random.SystemRandom().randrange(1, 2**31))
    min_requests = int(spec.get("min_requests", 1000))
    max_rounds = int(spec.get("max_rounds", 10))

    rounds = []
    total = 0
    n = 0
    while total < min_requests and n < max_rounds:
        r = run_round(spec, workdir, n, base_seed + n, destructive, include=False)
        rounds.append(r)
        total += r["requests"]
        n += 1
        print(
            f"fuzz {spec['surface']}: round {r['round']} seed {r['seed']}: {r['requests']} requests "
            f"in {r['seconds']}s (total {total}), exit {r['exit_code']}",
            file=sys.stderr,
            flush=True,
        )
        if r["requests"] == 0:
            break
    if destructive:
        r = run_round(spec, workdir, n, base_seed + n, destructive, include=True)
        rounds.append(r)
        total += r["requests"]
        print(
            f"fuzz {spec['surface']}: destructive round ({', '.join(destructive)}) seed {r['seed']}: "
            f"{r['requests']} requests, exit {r['exit_code']}",
            file=sys.stderr,
            flush=True,
        )

    statuses = collections.Counter()
    for r in rounds:
        statuses.update(r["statuses"])
    problems = []
    for r in rounds:
        # Exit 1 = checks failed; other non-zero codes = the run itself broke.
        if r["failures"] or r["server_errors"] or r["errors"] or r["exit_code"] not in (0, 1) or (
            r["exit_code"] == 1 and not r["failures"] and not r["server_errors"]
        ):
            problems.append(
                {
                    "round": r["round"],
                    "seed": r["seed"],
                    "exit_code": r["exit_code"],
                    "failures": r["failures"],
                    "errors": r["errors"],
                    "server_errors": r["server_errors"][:20],
                    "details": r["details"],
                    "log": r["log"],
                }
            )
    summary = {
        "surface": spec["surface"],
        "requests": total,
        "min_requests": min_requests,
        "rounds": len(rounds),
        "seed": base_seed,
        "test_cases": sum(r["test_cases"] for r in rounds),
        "seconds": round(sum(r["seconds"] for r in rounds), 1),
        "statuses": dict(sorted(statuses.items())),
        "problems": problems,
    }
    print("FUZZ-SUMMARY " + json.dumps(summary), flush=True)
    if problems:
        return 1
    if total < min_requests:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
