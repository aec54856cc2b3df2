"""A Postman collection (v2.1) generated from the API's own OpenAPI: `make postman`, or
`python -m jobfeed.api.postman [--out PATH] [--check]`.

One request per route and method, in a folder per tag; `{{baseUrl}}` and the bearer `{{token}}` are
collection variables, path parameters are variables too (`{{runId}}`, `{{jobId}}`); query parameters
with a default are sent with it, the others are listed but disabled; request bodies are examples built
from the schemas. The OpenAPI comes from `create_app().openapi()`: no server, no database. The output is
deterministic (no timestamps, a name-based id), so the committed file can be compared with a fresh one.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import uuid
from pathlib import Path
from typing import Any

SCHEMA_URL = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
DEFAULT_OUT = Path("docs/api/jobfeed.postman_collection.json")
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
PATH_VARIABLES = {"run_id": "runId", "job_id": "jobId"}  # path parameter -> collection variable
EXAMPLE_IDS = {"runId": "00000000-0000-0000-0000-000000000000", "jobId": "000000000000000000000000"}
STRING_EXAMPLES = {"date-time": "2026-01-01T00:00:00Z", "date": "2026-01-01", "uuid": EXAMPLE_IDS["runId"]}
HEADER_EXAMPLES = {"idempotency-key": "{{$guid}}"}  # Postman makes a fresh GUID per request
Schema = dict[str, Any]


def _resolve(schema: Schema, spec: Schema) -> Schema:
    ref = schema.get("$ref")
    if not ref:
        return schema
    target: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return {**target, **{key: value for key, value in schema.items() if key != "$ref"}}  # a sibling default wins


def example(schema: Schema, spec: Schema, *, depth: int = 0) -> Any:
    """A value that the schema accepts: its default or example, else the simplest of its type."""
    schema = _resolve(schema, spec)
    for key in ("default", "example"):
        if key in schema:
            return schema[key]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema or "oneOf" in schema:
        options = schema.get("anyOf") or schema["oneOf"]
        if any(option.get("type") == "null" for option in options):
            return None  # an optional value: leave it out of the example (null = the server's default)
        return example(options[0], spec, depth=depth + 1)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 5:
            return {}
        return {name: example(prop, spec, depth=depth + 1) for name, prop in schema.get("properties", {}).items()}
    if kind == "array":
        return [example(schema.get("items", {}), spec, depth=depth + 1)]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return False
    return STRING_EXAMPLES.get(schema.get("format", ""), "string")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)


def _query(param: Schema, spec: Schema) -> dict[str, Any]:
    schema = _resolve(param.get("schema", {}), spec)
    has_default = "default" in schema
    entry: dict[str, Any] = {"key": param["name"], "value": _text(example(schema, spec))}
    if not (param.get("required") or has_default):
        entry["disabled"] = True  # optional without a default: listed, not sent
        if entry["value"] == "":
            entry["value"] = _text(_first_concrete(schema, spec))
    if param.get("description"):
        entry["description"] = param["description"]
    return entry


def _first_concrete(schema: Schema, spec: Schema) -> Any:
    options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
    return example(options[0], spec) if options else ""


def _request(path: str, method: str, op: Schema, spec: Schema) -> dict[str, Any]:
    params = op.get("parameters", [])
    variables = {p["name"]: PATH_VARIABLES.get(p["name"], p["name"]) for p in params if p["in"] == "path"}
    segments = [
        f":{part[1:-1]}" if part.startswith("{") and part.endswith("}") else part for part in path.strip("/").split("/")
    ]
    url: dict[str, Any] = {
        "raw": "{{baseUrl}}/" + "/".join(segments),
        "host": ["{{baseUrl}}"],
        "path": segments,
    }
    query = [_query(p, spec) for p in params if p["in"] == "query"]
    if query:
        url["query"] = query
        enabled = "&".join(f"{q['key']}={q['value']}" for q in query if not q.get("disabled"))
        url["raw"] += f"?{enabled}" if enabled else ""
    if variables:
        url["variable"] = [{"key": name, "value": "{{" + var + "}}"} for name, var in variables.items()]
    headers: list[dict[str, Any]] = [{"key": "Accept", "value": _accept(op)}]
    for p in params:
        if p["in"] == "header":
            headers.append({"key": _header_name(p["name"]), "value": HEADER_EXAMPLES.get(p["name"].lower(), "string"),
                            "disabled": not p.get("required"), "description": p.get("description", "")})  # fmt: skip
    request: dict[str, Any] = {"method": method.upper(), "header": headers, "url": url}
    body = op.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None:
        headers.insert(0, {"key": "Content-Type", "value": "application/json"})
        request["body"] = {
            "mode": "raw",
            "raw": json.dumps(example(body["schema"], spec), indent=2),
            "options": {"raw": {"language": "json"}},
        }
    if not op.get("security"):
        request["auth"] = {"type": "noauth"}  # an open route: /healthz
    description = "\n\n".join(part for part in (op.get("description"), _answers(op)) if part)
    if description:
        request["description"] = description
    return request


def _header_name(name: str) -> str:
    return "-".join(word.capitalize() for word in name.split("-"))


def _accept(op: Schema) -> str:
    for response in op.get("responses", {}).values():
        for media in response.get("content", {}):
            if media != "application/json":
                return str(media)
    return "application/json"


def _answers(op: Schema) -> str:
    codes = ", ".join(f"{code} {r.get('description', '')}".strip() for code, r in op.get("responses", {}).items())
    return f"Answers: {codes}." if codes else ""


def _folder(path: str, op: Schema) -> str:
    if op.get("tags"):
        return str(op["tags"][0])
    parts = [p for p in path.strip("/").split("/") if p and not p.startswith("{")]
    name = parts[1] if len(parts) > 1 and parts[0] == "api" else (parts[0] if parts else "api")
    return "health" if name == "healthz" else name


def build_collection(spec: Schema, *, base_url: str = DEFAULT_BASE_URL) -> dict[str, Any]:
    """The Postman v2.1 collection of an OpenAPI document."""
    folders: dict[str, list[dict[str, Any]]] = {}
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            item = {
                "name": op.get("summary") or f"{method.upper()} {path}",
                "request": _request(path, method, op, spec),
            }
            folders.setdefault(_folder(path, op), []).append(item)
    title = spec["info"]["title"]
    return {
        "info": {
            "_postman_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"jobfeed:{title}")),
            "name": title,
            "description": f"{spec['info'].get('description', '')}\n\nGenerated from the OpenAPI "
            f"(version {spec['info'].get('version')}) by `make postman`: do not edit by hand. Set `baseUrl`, "
            "and `token` to API_TOKEN or a JWT (`jobfeed token create`) when the API requires one.",
            "schema": SCHEMA_URL,
        },
        "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{token}}", "type": "string"}]},
        "variable": [
            {"key": "baseUrl", "value": base_url, "type": "string"},
            {"key": "token", "value": "", "type": "string"},
            *({"key": key, "value": value, "type": "string"} for key, value in EXAMPLE_IDS.items()),
        ],
        "item": [{"name": name, "item": items} for name, items in folders.items()],
    }


def requests_of(collection: dict[str, Any]) -> list[dict[str, Any]]:
    """Every request item of a collection (folders flattened), in order."""
    found: list[dict[str, Any]] = []
    for entry in collection["item"]:
        found.extend(requests_of(entry) if "item" in entry else [entry])
    return found


def route_of(request: dict[str, Any]) -> tuple[str, str]:
    """(METHOD, OpenAPI path) of a request item: `:run_id` back to `{run_id}`."""
    path = "/" + "/".join(re.sub(r"^:(\w+)$", r"{\1}", part) for part in request["url"]["path"])
    return request["method"], path


def render(collection: dict[str, Any]) -> str:
    return json.dumps(collection, indent=2, ensure_ascii=False) + "\n"


def generate() -> str:
    """The collection of this version of the API, as the committed file holds it."""
    from jobfeed.api.app import create_app
    from jobfeed.settings import Settings

    return render(build_collection(create_app(settings=Settings(), ui_settings=Settings()).openapi()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobfeed.api.postman", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="exit 1 when the file differs from a fresh one")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        same = args.out.is_file() and args.out.read_text() == text
        print(f"{args.out}: {'up to date' if same else 'out of date: run `make postman`'}")
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out} ({len(requests_of(json.loads(text)))} requests)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
