#!/usr/bin/env python3
"""Validates the Amazon emulator's JSON answers against Amazon's Swagger 2.0 model of an SP-API, with jsonschema.

Usage: validate_spapi.py MODEL.json EXCHANGES.json
EXCHANGES.json is a list of {"name", "method", "path" (the model's path template), "status", "body" (JSON text)},
or {"name", "definition", "body"} to name a definition directly (answers to paths the model does not have).
The response schema comes from the model: paths[path][method].responses[status].schema; a status the operation does
not declare fails. Swagger 2.0 schemas are JSON Schema draft 4 plus extensions, so draft 4 validates them, with
`#/definitions/...` resolved within the model. Objects are checked strictly: a property the model does not define
fails (the model's own definitions allow extra properties, which would let a misspelt field through). date-time is
checked as RFC 3339. Prints one line per exchange and exits 1 if any fails; exits 77 (skip) without jsonschema.
"""
import copy
import json
import re
import sys

try:
    import jsonschema
except ImportError as e:  # the caller treats 77 as "skipped"
    print(f"jsonschema is not installed: {e}", file=sys.stderr)
    sys.exit(77)

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def strict(node):
    """Forbids properties a definition does not list, unless it says what extra properties may be."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            strict(value)
    elif isinstance(node, list):
        for value in node:
            strict(value)
    return node


def main():
    model_path, exchanges_path = sys.argv[1], sys.argv[2]
    model = json.load(open(model_path))
    definitions = strict(copy.deepcopy(model["definitions"]))
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time")
    def date_time(value):
        return not isinstance(value, str) or bool(RFC3339.match(value))

    failures = 0
    for ex in json.load(open(exchanges_path)):
        problems = []
        if "definition" in ex:
            schema = {"$ref": "#/definitions/" + ex["definition"]}
        else:
            operation = model["paths"].get(ex["path"], {}).get(ex["method"].lower())
            response = (operation or {}).get("responses", {}).get(str(ex["status"]))
            if response is None:
                problems.append(f"{ex['method']} {ex['path']} does not declare status {ex['status']}")
            schema = (response or {}).get("schema")
        body = ex.get("body") or ""
        if schema is None:
            if body.strip() and not problems:
                problems.append("the model declares no body, but one was sent")
        else:
            try:
                document = json.loads(body)
                validator = jsonschema.Draft4Validator(dict(schema, definitions=definitions), format_checker=checker)
                problems += [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)][:5]
            except json.JSONDecodeError as e:
                problems.append(f"not JSON: {e}")
        if problems:
            failures += 1
            print(f"FAIL {ex['name']}: " + "; ".join(problems))
        else:
            print(f"ok   {ex['name']}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
