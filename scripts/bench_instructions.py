#!/usr/bin/env python3
"""`make bench-instructions BASE=<git revision>`: instructions per request of this tree's gateway
against an older build, counted by valgrind's callgrind: the same number for the same binary and
requests whatever else the machine does, so a difference of 1-2% is visible where wall-clock and
CPU-time pairs (`make bench-compare`) swing by 5-10%. It counts instructions, not time: a change in
cache misses or lock waits does not show; read it next to bench-compare.

For each gateway (the base, built as bench-compare builds it, and this tree's release build, or
BENCH_BASE_GATEWAY / BENCH_GATEWAY), each profile (BENCH_PHASES: lean, sqlite = default profile,
postgres, and bench-compare's nolog and nojournal) and each surface (BENCH_ONLY) and operation (BENCH_OPS: GET,write): starts the gateway
under callgrind on a fresh database, creates the user, sends 200 warm-up requests, dumps (the dump
zeroes the counters), sends BENCH_REQUESTS (1000) requests over one keep-alive connection, dumps
again; the second dump's total over the request count is the cell. BENCH_VALGRIND_ARGS adds
callgrind options (`--cache-sim=yes` counts simulated cache misses too; read them with
callgrind_annotate in BENCH_KEEP_DIR, which keeps the files). Writes
target/bench/instructions.md (per cell: base, new, ratio) and, with BENCH_TOP=N, the N functions
whose inclusive count grew most per request.
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench
from bench import (PHASE_ENV, ROOT, TARGET_DIR, log, pg_available, pg_drop_database,
                   pg_fresh_database, setup_user, targets_for)

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "1000"))
WARMUP = 200
PHASES = [p for p in os.environ.get("BENCH_PHASES", "lean,sqlite,postgres").split(",") if p]
OPS = [o for o in os.environ.get("BENCH_OPS", "GET,write").split(",") if o]
TOP = int(os.environ.get("BENCH_TOP", "0"))


class Client:
    """One keep-alive connection sending one target's requests."""

    def __init__(self, target):
        base, (self.method, self.path), self.headers, self.body = target
        host, port = base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=120)
        self.n = 0

    def send(self) -> None:
        self.n += 1
        body = None
        headers = dict(self.headers)
        if self.body is not None:
            body = self.body % f"i{os.getpid() % 1000}x{self.n}"
            headers["Content-Type"] = "application/json"
        self.conn.request(self.method, self.path, body=body, headers=headers)
        res = self.conn.getresponse()
        res.read()
        if res.status >= 300:
            raise RuntimeError(f"{self.method} {self.path}: {res.status}")


def dump(pid: int, client: Client) -> int:
    """Asks callgrind to dump (and zero) while trickling requests, since valgrind reads the
    request when the process runs; returns the request count at the dump (the last trickled
    request, during which it was taken, counted half in: an error of at most one request)."""
    proc = subprocess.Popen(["callgrind_control", "--dump", str(pid)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while proc.poll() is None:
        client.send()
        time.sleep(0.05)
    return client.n


def total(path: Path) -> int:
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("totals:") or line.startswith("summary:"):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


def by_function(path: Path, inclusive: bool) -> dict[str, int]:
    out = subprocess.run(["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}",
                          "--threshold=100", "--auto=no", str(path)],
                         capture_output=True, text=True, check=True).stdout
    funcs: dict[str, int] = {}
    totals = total(path)
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\([^)]*\)\s+(?:\*\s+)?(\S.*)$", line)
        if m and not m.group(2).startswith(("=>", "<", "events")):
            # One name for a function of either checkout (the base is built in a worktree).
            name = re.sub(r"^[^:]*?(crates/)", r"\1", m.group(2).split(" [")[0])
            name = re.sub(r" \([\d,]+x\)$", "", name)
            if int(m.group(1).replace(",", "")) == totals:
                continue  # a frame on the stack at the dump (thread start): the whole cell
            funcs[name] = funcs.get(name, 0) + int(m.group(1).replace(",", ""))
    return funcs


def by_crate(path: Path) -> dict[str, int]:
    """Exclusive instructions by the crate (or library) of the function's source file."""
    crates: dict[str, int] = {}
    for name, n in by_function(path, inclusive=False).items():
        m = (re.search(r"index\.crates\.io-[^/]+/([^/]+?)-\d[^/]*/", name)
             or re.search(r"crates/([^/]+)/", name) or re.search(r"/rustc/[^/]+/library/([^/]+)/", name))
        key = m.group(1) if m else name.split(":")[0].rsplit("/", 1)[-1] or "?"
        crates[key] = crates.get(key, 0) + n
    return crates


def grown(old_file: Path, new_file: Path, reader, top: int) -> list[tuple[int, str]]:
    a, b = reader(old_file), reader(new_file)
    return sorted(((b.get(f, 0) - a.get(f, 0), f) for f in set(a) | set(b)),
                  key=lambda t: -abs(t[0]))[:top]


def cell(binary: Path, phase: str, surface: bench.Surface, op: str, workdir: Path, label: str):
    """(instructions per request, callgrind file of the measured requests)."""
    tag = f"{label}-{phase}-{surface.name}-{op}"
    url = (pg_fresh_database(f"ins{label}") if phase == "postgres"
           else f"sqlite://{workdir / f'{tag}.db'}")
    out = workdir / f"{tag}.callgrind"
    port = bench.free_port()
    env = bench.gateway_env(url, port, PHASE_ENV.get(phase))
    extra = os.environ.get("BENCH_VALGRIND_ARGS", "").split()  # e.g. --cache-sim=yes
    cmd = ["valgrind", "--tool=callgrind", *extra, f"--callgrind-out-file={out}", str(binary),
           "serve"]
    server = bench.Server(tag, cmd, env, f"http://127.0.0.1:{port}", workdir)
    try:
        server.wait_ready(timeout=300)
        creds = setup_user(server.base)
        client = Client(targets_for(server.base, surface, creds, op))
        for _ in range(WARMUP):
            client.send()
        first = dump(server.pid, client)
        for _ in range(REQUESTS):
            client.send()
        count = dump(server.pid, client) - first
        dumps = sorted(workdir.glob(f"{tag}.callgrind.*"), key=lambda p: int(p.name.rsplit(".", 1)[1]))
        measured = dumps[-1]
        return total(measured) / count, measured
    finally:
        server.stop()
        if phase == "postgres":
            pg_drop_database(url)


def main() -> int:
    import bench_compare
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    old_bin = Path(os.environ["BENCH_BASE_GATEWAY"]) if os.environ.get("BENCH_BASE_GATEWAY") \
        else bench_compare.build_base(sys.argv[1])
    new_bin = bench.GATEWAY_BIN
    if not os.environ.get("BENCH_GATEWAY") and not os.environ.get("BENCH_NO_BUILD"):
        bench.build()
    phases = [p for p in PHASES if p != "postgres" or pg_available()]
    rows = []
    keep = os.environ.get("BENCH_KEEP_DIR")  # keeps the callgrind files there
    with tempfile.TemporaryDirectory(prefix="gateway-ins-") as tmp:
        workdir = Path(keep or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for phase in phases:
            for surface in bench.SURFACES:
                if bench.ONLY and surface.name not in bench.ONLY:
                    continue
                for op in OPS:
                    old, old_file = cell(old_bin, phase, surface, op, workdir, "old")
                    new, new_file = cell(new_bin, phase, surface, op, workdir, "new")
                    log(f"{phase} {surface.name} {op}: {old:,.0f} -> {new:,.0f} ({new / old:.3f})")
                    rows.append((phase, surface.name, op, old, new))
                    if TOP:
                        log("  exclusive instructions by crate, largest changes:")
                        for d, f in grown(old_file, new_file, by_crate, TOP):
                            log(f"    {d / REQUESTS:+10,.0f}/req  {f[:150]}")
                        log("  exclusive instructions by function, largest changes:")
                        for d, f in grown(old_file, new_file,
                                          lambda p: by_function(p, inclusive=False), TOP):
                            log(f"    {d / REQUESTS:+10,.0f}/req  {f[:150]}")
    lines = ["| profile | surface | op | base instr/req | new instr/req | new/base |",
             "|---|---|---|---:|---:|---:|"]
    lines += [f"| {p} | {s} | {o} | {a:,.0f} | {b:,.0f} | {b / a:.3f} |" for p, s, o, a, b in rows]
    TARGET_DIR.mkdir(parents=True, exist_ok=True)
    (TARGET_DIR / "instructions.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
