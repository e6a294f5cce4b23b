"""Request patterns for the gateway's verification API (`POST /admin/journal/count` and `/find`)
and failure messages that list the near misses.

A pattern is built from keyword arguments: `surface`, `method`, `path` or `path_pattern`,
`route`, `status`, `since` as the API takes them; `headers` and `query` as `{name: matcher}`
where a plain string means `equal_to`; `body` as one body matcher or a list of them; `json` as a
shorthand for `{"contains_json": json}`. Matchers: `equal_to`, `contains`, `matches`, `absent`,
`present`, `json_contains`, `json_equals` below.

Near misses are found with the server's own matching, not a copy of it: each part of the
pattern is looked up on its own (`/find`), and the newest journaled requests are ranked by how
many parts they miss.
"""

from __future__ import annotations

import json as jsonlib
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

Matcher = Dict[str, Any]
Entry = Dict[str, Any]
# find(pattern, limit) -> (count, entries newest first)
Find = Callable[[Dict[str, Any], int], Tuple[int, List[Entry]]]

NEAR_MISSES_SHOWN = 5
CANDIDATES = 200
PART_LIMIT = 1000


def equal_to(value: Any) -> Matcher:
    """The value is exactly this (under a body `pointer`: equal as JSON)."""
    return {"equal_to": value}


def contains(text: str) -> Matcher:
    """The value contains this text."""
    return {"contains": text}


def matches(regex: str) -> Matcher:
    """The whole value matches this regular expression (Rust `regex` syntax, anchored)."""
    return {"matches": regex}


def absent() -> Matcher:
    """There is no such header, query parameter or JSON value."""
    return {"absent": True}


def present() -> Matcher:
    """There is one, whatever its value (a redacted secret reads as `[redacted]`)."""
    return {"absent": False}


def json_contains(value: Any, pointer: Optional[str] = None) -> Matcher:
    """The JSON body (or its value at `pointer`) contains this value (a subset match)."""
    return {"contains_json": value, **({"pointer": pointer} if pointer is not None else {})}


def json_equals(value: Any, pointer: Optional[str] = None) -> Matcher:
    """The JSON body (or its value at `pointer`) equals this value."""
    return {"equal_to_json": value, **({"pointer": pointer} if pointer is not None else {})}


def _matchers(values: Optional[Mapping[str, Union[str, Matcher]]]) -> Optional[Dict[str, Matcher]]:
    if values is None:
        return None
    return {k: (equal_to(v) if isinstance(v, str) else dict(v)) for k, v in values.items()}


def build_pattern(*, surface: Optional[str] = None, method: Optional[str] = None,
                  path: Optional[str] = None, path_pattern: Optional[str] = None,
                  route: Optional[str] = None, status: Optional[int] = None,
                  headers: Optional[Mapping[str, Union[str, Matcher]]] = None,
                  query: Optional[Mapping[str, Union[str, Matcher]]] = None,
                  body: Union[Matcher, Sequence[Matcher], None] = None, json: Any = None,
                  since: Optional[int] = None) -> Dict[str, Any]:
    """The JSON pattern the verification API takes; parts left `None` are left out."""
    bodies: List[Matcher] = []
    if isinstance(body, Mapping):
        bodies.append(dict(body))
    elif body is not None:
        bodies.extend(dict(b) for b in body)
    if json is not None:
        bodies.append(json_contains(json))
    pattern = {
        "surface": surface, "method": method, "path": path, "path_pattern": path_pattern,
        "route": route, "status": status, "headers": _matchers(headers),
        "query": _matchers(query), "body": bodies or None, "since": since,
    }
    return {k: v for k, v in pattern.items() if v is not None}


def describe(entry: Entry) -> str:
    """`#12 PATCH /me?x=1 -> 200 [me]`."""
    req, res = entry["request"], entry["response"]
    query = f"?{req['query']}" if req.get("query") else ""
    status = "dropped" if res.get("dropped") else res.get("status")
    return f"#{entry['id']} {req['method']} {req['path']}{query} -> {status} [{entry['surface']}]"


def _header(entry: Entry, name: str) -> Optional[str]:
    wanted = name.lower()
    return next((v for k, v in entry["request"]["headers"].items() if k.lower() == wanted), None)


def _short(value: Any, limit: int = 120) -> str:
    if value is None:
        return "(none)"
    text = value if isinstance(value, str) else jsonlib.dumps(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _parts(pattern: Mapping[str, Any]) -> List[Tuple[str, Dict[str, Any], Callable[[Entry], Any]]]:
    """(name, one-part pattern, what the entry has there) for each part of the pattern."""
    simple = {
        "surface": lambda e: e["surface"],
        "method": lambda e: e["request"]["method"],
        "path": lambda e: e["request"]["path"],
        "path_pattern": lambda e: e["request"]["path"],
        "route": lambda e: e.get("route"),
        "status": lambda e: e["response"].get("status"),
    }
    parts = [(k, {k: pattern[k]}, simple[k]) for k in simple if k in pattern]
    for name, m in pattern.get("headers", {}).items():
        parts.append((f"header {name}", {"headers": {name: m}}, lambda e, n=name: _header(e, n)))
    for name, m in pattern.get("query", {}).items():
        parts.append((f"query {name}", {"query": {name: m}}, lambda e: e["request"].get("query")))
    for i, m in enumerate(pattern.get("body", [])):
        parts.append((f"body[{i}]", {"body": [m]},
                      lambda e: e["request"]["body"].get("text")))
    return parts


def _wanted(part: Dict[str, Any]) -> str:
    (key, value), = part.items()
    if isinstance(value, dict):  # headers / query: {name: matcher}
        (value,) = value.values()
    elif isinstance(value, list):  # body: [matcher]
        (value,) = value
    return _short(value)


def explain(find: Find, pattern: Dict[str, Any], expectation: str, found: int) -> str:
    """The failure message: what was expected, what was found, and the closest requests."""
    lines = [f"expected {expectation} matching {jsonlib.dumps(pattern)}, found {found}"]
    if found:
        _, hits = find(pattern, 10)
        lines.append("matching requests (newest first):")
        lines += [f"  {describe(e)}" for e in hits]
        return "\n".join(lines)
    since = {"since": pattern["since"]} if "since" in pattern else {}
    total, candidates = find(since, CANDIDATES)
    if not candidates:
        lines.append("the journal holds no request" + (" after that id" if since else ""))
        return "\n".join(lines)
    parts = _parts(pattern)
    hit_ids = [{e["id"] for e in find({**part, **since}, PART_LIMIT)[1]} for _, part, _ in parts]
    ranked = []
    for entry in candidates:
        misses = [(name, part, got) for (name, part, got), ids in zip(parts, hit_ids)
                  if entry["id"] not in ids]
        if len(misses) < len(parts):
            ranked.append((len(misses), -entry["id"], entry, misses))
    ranked.sort(key=lambda r: r[:2])
    if not ranked:
        lines.append(f"no request matches any part of the pattern; the newest of {total}:")
        lines += [f"  {describe(e)}" for e in candidates[:NEAR_MISSES_SHOWN]]
        return "\n".join(lines)
    lines.append("near misses (fewest differences first, then newest):")
    for _, _, entry, misses in ranked[:NEAR_MISSES_SHOWN]:
        lines.append(f"  {describe(entry)}")
        for name, part, got in misses:
            lines.append(f"      {name}: wanted {_wanted(part)}, got {_short(got(entry))}")
    return "\n".join(lines)
