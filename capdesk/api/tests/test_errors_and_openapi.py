"""Every error has one shape; the OpenAPI document describes every operation."""

from capdesk.api.actions import create_token
from capdesk.api.tests.conftest import assert_error


def test_every_kind_of_error_has_the_same_body(cast, tokens, api):
    assert_error(api.get("/tickets", None), 401, "unauthorized")
    assert_error(api.post("/tickets/CAP-1001/replies", tokens.developer, {"body": "x"}), 403, "forbidden")
    assert_error(api.get("/tickets/CAP-999999", tokens.agent), 404, "not_found")
    assert_error(api.get("/tickets/not-a-reference", tokens.agent), 404, "not_found")
    assert_error(api.get("/no/such/operation", tokens.agent), 404, "not_found")
    assert_error(api.get("/no/such/operation", None), 404, "not_found")
    wrong_method = api.call("DELETE", "/tickets", tokens.agent)
    assert_error(wrong_method, 405, "method_not_allowed")
    assert set(wrong_method["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    invalid = assert_error(api.post("/tickets", tokens.agent, {"subject": 3}), 422, "validation_error")
    assert {tuple(d["loc"]) for d in invalid["details"]} >= {
        ("body", "data", "account_id"),
        ("body", "data", "body"),
    }
    not_json = api.client.post(
        "/api/tickets",
        "{nope",
        content_type="application/json",
        headers={"Authorization": f"Bearer {tokens.agent}"},
    )
    assert not_json.status_code in (400, 422)
    assert set(not_json.json()["error"]) == {"code", "message", "details"}
    assert_error(api.get("/tickets?cursor=forged", tokens.agent), 422, "invalid_cursor")
    assert_error(api.get("/tickets?limit=0", tokens.agent), 422, "validation_error")
    limited = create_token(name="x", scope="agent", user=cast.agent, rate_limit_per_minute=1).plaintext
    api.get("/me", limited)
    assert_error(api.get("/me", limited), 429, "rate_limited")


def test_a_cursor_of_another_listing_is_refused(cast, tokens, api):
    for n in range(3):
        api.post(
            "/tickets",
            tokens.agent,
            {
                "account_id": str(cast.developer.capgo_id),
                "subject": f"S{n}",
                "body": "billing question, invoice",
            },
        )
    ticket_cursor = api.get("/tickets?limit=1", tokens.agent).json()["next_cursor"]
    assert ticket_cursor
    reference = api.get("/tickets?limit=1", tokens.agent).json()["items"][0]["reference"]
    assert_error(
        api.get(f"/tickets/{reference}/messages?cursor={ticket_cursor}", tokens.agent), 422, "invalid_cursor"
    )


def test_the_openapi_document_lists_every_operation_with_bearer_security_and_the_error_schema(client):
    document = client.get("/api/openapi.json").json()
    assert document["info"]["title"] == "Capdesk API"
    operations = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert {
        ("GET", "/api/tickets"),
        ("POST", "/api/tickets"),
        ("GET", "/api/tickets/{reference}"),
        ("POST", "/api/tickets/{reference}/replies"),
        ("POST", "/api/tickets/{reference}/status"),
        ("GET", "/api/tickets/{reference}/messages"),
        ("GET", "/api/tickets/{reference}/decisions"),
        ("GET", "/api/directory/organizations"),
        ("PUT", "/api/directory/people/{capgo_id}"),
        ("PUT", "/api/directory/bindings"),
        ("GET", "/api/macros"),
        ("POST", "/api/macros"),
        ("GET", "/api/macros/{macro_id}"),
        ("PATCH", "/api/macros/{macro_id}"),
        ("DELETE", "/api/macros/{macro_id}"),
        ("GET", "/api/tickets/{reference}/macros/{macro_id}"),
    } <= operations
    schemes = document["components"]["securitySchemes"]
    assert any(s == {"type": "http", "scheme": "bearer"} for s in schemes.values())
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            assert op.get("security"), f"{method.upper()} {path} has no security requirement"
            assert "401" in op["responses"] and "429" in op["responses"], f"{method.upper()} {path}"
