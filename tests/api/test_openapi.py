"""The OpenAPI description (GET /api/v1/openapi.json) that clients and the schemathesis run in CI
(.ci/schemathesis) read: every route with the schema of its answer, and errors as problem+json."""

import re

PROBLEM = "application/problem+json"
METHODS = ("get", "post", "put", "patch", "delete")


def _resolve(spec: dict, item: dict) -> dict:
    while "$ref" in item:
        kind, name = item["$ref"].split("/")[-2:]
        item = spec["components"][kind][name]
    return item


def test_every_api_route_is_described_with_its_answers_schemas(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    registered = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and not rule.rule.endswith("openapi.json"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            registered |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert len(registered) > 80
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status"} <= set(problem["required"]) and problem["additionalProperties"] is True
    assert problem["properties"]["errors"]["additionalProperties"]["items"] == {"type": "string"}
    for path, method in sorted(registered):
        operation = spec["paths"].get(path, {}).get(method)
        assert operation is not None, f"{method.upper()} {path} is not in openapi.json"
        where = f"{method.upper()} {path}"
        responses = {str(code): _resolve(spec, answer) for code, answer in operation["responses"].items()}
        success = [code for code in responses if code.startswith("2")]
        assert success, f"{where}: no success response"
        for code in success:
            if code == "204":
                assert "content" not in responses[code], where
                continue
            content = responses[code].get("content", {})
            assert content and all("schema" in media for media in content.values()), f"{where} {code}: no schema"
        assert "default" in responses, f"{where}: no default error response"
        for code, answer in responses.items():
            if code == "default" or code[0] in "45":
                assert set(answer.get("content", {})) == {PROBLEM}, f"{where} {code}: not problem+json"
                assert answer["content"][PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}, where
        if "requestBody" in operation:
            body = operation["requestBody"]["content"]
            assert body and all("schema" in media for media in body.values()), f"{where}: request without schema"
    # a download answers with its file's own type (found by schemathesis: image/png was undocumented)
    download = spec["paths"]["/api/v1/attachments/{attachment_id}"]["get"]["responses"]["200"]["content"]
    assert {"application/pdf", "image/png", "image/jpeg", "application/zip"} <= set(download)


def test_nested_field_errors_are_named_by_path_with_string_messages(api, users, office):
    """Found by schemathesis: a list of nested objects holding nulls answered
    `errors: {"recipients": [{"0": [...]}]}`, breaking the documented {field: [message]}."""
    clerk = api(users["clerk"])
    response = clerk.post("/outgoing/1/dispatch", json={"channel": "email", "dispatched_on": "2000-01-01",
                                                          "envelopes": 1, "recipients": [None, None]})
    assert response.status_code == 422 and response.mimetype == PROBLEM
    errors = response.get_json()["errors"]
    assert set(errors) == {"recipients.0", "recipients.1"}, errors
    assert all(isinstance(msg, str) and msg for msgs in errors.values() for msg in msgs)
    response = api(users["leader"]).post("/incoming/1/assign", json={"assignees": [{"user_id": "x", "role": 7}]})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert errors and all(key.startswith("assignees.0.") for key in errors), errors
    assert all(isinstance(msg, str) for msgs in errors.values() for msg in msgs)
