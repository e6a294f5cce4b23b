#!/usr/bin/env python3
"""`make bench-compare BASE=<git revision>`: CPU per request of this tree's gateway against an older
build, pair by pair, so that a before/after claim holds although single runs on this machine differ
by 10-15%.

Both gateways run at once on the server core, each on its own fresh database with its own user and
credentials; for every surface and operation they take turns (A B, then B A, ...), each turn a wrk
run of BENCH_DURATION seconds after one warm-up each; the ratio new/old is taken within each pair
and the table shows its median and range over BENCH_PAIRS pairs. Phases (BENCH_PHASES): sqlite
(default profile), lean (no journal, log filter warn), nolog (log filter warn only), nojournal
(no journal only), postgres (one database per gateway).

The base is built from a git worktree of BASE into target/bench-base (kept between runs; a
different BASE rebuilds it), or given as a binary with BENCH_BASE_GATEWAY; BENCH_GATEWAY replaces
the tree's own build (e.g. a build with one rule switched off, to attribute a cost). Writes the table to
target/bench/compare.md; docs/benchmarks.md quotes it by hand.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import bench
from bench import (PHASE_ENV, ROOT, TARGET_DIR, log, pg_available, pg_drop_database,
                   pg_fresh_database, probe, setup_user, start_gateway, targets_for, wrk_script,
                   wrk_once, cpu_seconds)

PAIRS = int(os.environ.get("BENCH_PAIRS", "5"))
PHASES = [p for p in os.environ.get("BENCH_PHASES", "sqlite,lean,postgres").split(",") if p]
BASE_DIR = ROOT / "target" / "bench-base"
def build_base(rev: str) -> Path:
    """The release gateway of `rev`, built in a worktree under target/bench-base."""
    src = BASE_DIR / "src"
    want = subprocess.run(["git", "rev-parse", f"{rev}^{{commit}}"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()
    binary = BASE_DIR / "release" / "gateway"
    stamp = BASE_DIR / "built-from"
    if binary.exists() and stamp.exists() and stamp.read_text().strip() == want:
        log(f"base {want[:10]}: reusing {binary.relative_to(ROOT)}")
        return binary
    BASE_DIR.mkdir(parents=True, exist_ok=True)
    if src.exists():
        subprocess.run(["git", "worktree", "remove", "--force", str(src)], cwd=ROOT, check=False)
    subprocess.run(["git", "worktree", "prune"], cwd=ROOT, check=True)
    subprocess.run(["git", "worktree", "add", "--detach", str(src), want], cwd=ROOT, check=True)
    log(f"building the base gateway at {want[:10]} into {BASE_DIR.relative_to(ROOT)}")
    subprocess.run(["cargo", "build", "--locked", "--release", "--target-dir", str(BASE_DIR),
                    "-p", "gateway-server", "--bin", "gateway"], cwd=src, check=True)
    stamp.write_text(want + "\n")
    return binary


def turn(target, pid: int, workdir: Path, n: int, seconds: float) -> float:
    """One wrk run against one gateway; its CPU time per request (us)."""
    base, (method, path), headers, body = target
    script = workdir / f"cmp-{n}.lua"
    script.write_text(wrk_script(method, path, headers, body, f"c{os.getpid() % 1000}x{n}x"))
    before = cpu_seconds([pid])
    run = wrk_once(base, script, seconds, bench.CONNECTIONS)
    if run.errors:
        raise RuntimeError(f"{method} {path}: {run.errors} errors")
    return (cpu_seconds([pid]) - before) * 1e6 / run.requests


def compare_phase(phase: str, new_bin: Path, old_bin: Path, workdir: Path, rows: list) -> None:
    extra = PHASE_ENV.get(phase)
    servers, urls = {}, []
    try:
        for label, binary in (("new", new_bin), ("old", old_bin)):
            if phase == "postgres":
                url = pg_fresh_database(f"cmp{label}")
                urls.append(url)
            else:
                url = f"sqlite://{workdir / f'{phase}-{label}.db'}"
            srv = start_gateway(f"{phase}-{label}", url, workdir, extra, binary)
            servers[label] = (srv, setup_user(srv.base))
        n = 0
        for surface in bench.SURFACES:
            if bench.ONLY and surface.name not in bench.ONLY:
                continue
            if not all(probe(srv.base, surface, creds).ok for srv, creds in servers.values()):
                log(f"  {surface.name}: not served by both builds, skipped")
                continue
            for op in ("GET", "write"):
                targets = {k: (targets_for(srv.base, surface, creds, op), srv.pid)
                           for k, (srv, creds) in servers.items()}
                for k, (t, pid) in targets.items():
                    n += 1
                    turn(t, pid, workdir, n, bench.WARMUP)
                cpu = {"new": [], "old": []}
                for i in range(PAIRS):
                    order = ("new", "old") if i % 2 == 0 else ("old", "new")
                    for k in order:
                        n += 1
                        t, pid = targets[k]
                        cpu[k].append(turn(t, pid, workdir, n, bench.DURATION))
                ratios = sorted(a / b for a, b in zip(cpu["new"], cpu["old"]))
                row = (phase, surface.name, op, statistics.median(cpu["old"]),
                       statistics.median(cpu["new"]), statistics.median(ratios), ratios[0], ratios[-1])
                rows.append(row)
                log(f"  {phase:<8} {surface.name:<16} {op:<5} old {row[3]:6.1f} us  new {row[4]:6.1f} us  "
                    f"new/old {row[5]:.3f} ({row[6]:.3f}..{row[7]:.3f})")
    finally:
        for srv, _ in servers.values():
            srv.stop()
        for url in urls:
            pg_drop_database(url)


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: bench_compare.py BASE_REVISION", file=sys.stderr)
        return 2
    rev = sys.argv[1]
    bench.build()
    new_bin = bench.GATEWAY_BIN
    old_bin = Path(os.environ["BENCH_BASE_GATEWAY"]) if os.environ.get("BENCH_BASE_GATEWAY") \
        else build_base(rev)
    TARGET_DIR.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="compare-", dir=TARGET_DIR))
    rows: list = []
    for phase in PHASES:
        if phase == "postgres" and (problem := pg_available()):
            log(f"postgres skipped: {problem}")
            continue
        log(f"phase {phase}: {PAIRS} pairs of {bench.DURATION:g} s runs per row")
        compare_phase(phase, new_bin, old_bin, workdir, rows)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()
    lines = [f"CPU per request (us), this tree ({head}) against {rev}, {PAIRS} alternating pairs of "
             f"{bench.DURATION:g} s wrk runs, {bench.CONNECTIONS} connections; ratio new/old per pair.",
             "", "| phase | surface | op | old | new | new/old median | min | max |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {p} | {s} | {o} | {a:.1f} | {b:.1f} | {m:.3f} | {lo:.3f} | {hi:.3f} |"
              for p, s, o, a, b, m, lo, hi in rows]
    out = "\n".join(lines) + "\n"
    print(out)
    (TARGET_DIR / "compare.md").write_text(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
