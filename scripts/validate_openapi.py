#!/usr/bin/env python3
"""Validates captured HTTP exchanges against one of Xero's OpenAPI descriptions, with openapi-core.

Usage: validate_openapi.py SPEC.yaml EXCHANGES.json
EXCHANGES.json is a list of {"name", "method", "path" (with query), "status", "content_type", "request_body", "response_body"}
(bodies as JSON text or null). Xero's own spec does not pass strict OpenAPI validation, so it is loaded
without validating the spec itself; every request and response is validated against it.
Prints one line per exchange and exits 1 if any fails; exits 77 (skip) when openapi-core is not installed.
"""
import json
import sys
from urllib.parse import urlsplit, parse_qs

try:
    from openapi_core import OpenAPI, Config
    from openapi_core.testing import MockRequest, MockResponse
except ImportError as e:  # the caller treats 77 as "skipped"
    print(f"openapi-core is not installed: {e}", file=sys.stderr)
    sys.exit(77)


def main():
    spec_path, exchanges_path = sys.argv[1], sys.argv[2]
    api = OpenAPI.from_file_path(spec_path, config=Config(spec_validator_cls=None))
    exchanges = json.load(open(exchanges_path))
    failures = 0
    for ex in exchanges:
        url = urlsplit(ex["path"])
        args = {k: v[0] for k, v in parse_qs(url.query).items()}
        request = MockRequest("https://api.xero.com", ex["method"].lower(), url.path, args=args,
                              data=(ex.get("request_body") or "").encode(), content_type="application/json",
                              headers={"xero-tenant-id": "00000000-0000-0000-0000-000000000000"})
        response = MockResponse((ex.get("response_body") or "").encode(), status_code=ex.get("status", 200),
                                content_type=ex.get("content_type") or "application/json")
        problems = []
        if ex.get("request_body"):
            try:
                api.validate_request(request)
            except Exception as e:  # noqa: BLE001 - report every kind of validation failure
                problems.append(f"request: {describe(e)}")
        if ex.get("response_body") is not None:
            try:
                api.validate_response(request, response)
            except Exception as e:  # noqa: BLE001
                problems.append(f"response: {describe(e)}")
        if problems:
            failures += 1
            print(f"FAIL {ex['name']}: " + "; ".join(problems))
        else:
            print(f"ok   {ex['name']}")
    sys.exit(1 if failures else 0)


def describe(e):
    parts = [str(e)[:200]]
    cause = e.__cause__
    while cause is not None:
        details = getattr(cause, "schema_errors", None)
        if details:
            parts += [f"{list(d.absolute_path)}: {d.message}" for d in list(details)[:5]]
        else:
            parts.append(str(cause))
        cause = cause.__cause__
    return " / ".join(parts)[:1500]


if __name__ == "__main__":
    main()
