"""The documented error responses of each route: every 4xx (and 503) in the API's one error shape, so
/openapi.json lists every status a route can answer and the body it answers with."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import Depends, FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from annostream_kernel.limits import INT64_MAX, INT64_MIN, MAX_ID_LENGTH, MAX_REQUEST_BYTES

from .routes.deps import identity, identity_headers
from .schemas import FrameBody, SaveFrameBody


class ErrorBody(BaseModel):
    """Every error response: a code, a message naming the field, the field and structured details."""

    error: str = Field(description="INVALID_ARGUMENT, NOT_FOUND, ABORTED, PAYLOAD_TOO_LARGE, ...")
    message: str
    field: str | None = Field(description="the request field at fault, e.g. commands[0].create_roi.roi.labels[1]")
    details: dict[str, Any] = Field(description="e.g. a conflict's ROI, actor and event; validation errors")


WHY = {
    400: "Bad input: a field's value is refused (text with NUL or a lone surrogate, a number out of range, a rule"
    " of the domain); `field` names it.",
    401: "No identity: behind the authenticating proxy (ANNOSTREAM_DEV_AUTH=false) X-Auth-Request-User is missing.",
    403: "The caller may not do this (not the owner or an admin; not in the team's group behind the proxy).",
    404: "A referenced object does not exist (or is not yet known to this service: retry shortly).",
    409: "Conflict: already exists, a concurrent same-ROI edit (details name it), or the object's state forbids it.",
    413: f"The request body is over {MAX_REQUEST_BYTES} bytes; details.limit says the limit.",
    422: "The request does not match its schema (missing or unknown field, wrong type, out of range); `field`"
    " names the first, details.errors lists them all.",
    503: "A service behind the gateway cannot answer right now; nothing was changed unless the message says so.",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the given error statuses, each with the error body."""
    return {s: {"model": ErrorBody, "description": WHY[s]} for s in statuses}


# What any API route can answer: edge checks and identity (400), the proxy (401, 403), schema validation (422),
# an unreachable service (503).
COMMON = (400, 401, 403, 422, 503)
READ = errors(*COMMON, 404)  # reads and actions on one object
WRITE = errors(*COMMON, 404, 409, 413)  # writes with a body


def _exact_bounds(node: Any) -> None:
    """Integer bounds as integers: FastAPI's OpenAPI model keeps them as floats, where 2**63 - 1 becomes 2**63."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            for key in ("minimum", "maximum"):
                if isinstance(v := node.get(key), float):
                    node[key] = min(max(int(v), INT64_MIN), INT64_MAX) if abs(v) >= 2**53 else int(v)
        for value in node.values():
            _exact_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _exact_bounds(value)


def body_schemas(model: type[BaseModel]) -> dict[str, Any]:
    """The component schemas FastAPI documents for a route declaring `model` as its JSON body (for a route that
    reads that body itself: its documentation stays what it was)."""
    probe = FastAPI()

    async def route(body: Any) -> None:
        return None

    route.__annotations__ = {"body": model, "return": None}
    probe.post("/")(route)
    schemas: dict[str, Any] = probe.openapi()["components"]["schemas"]
    return {k: v for k, v in schemas.items() if k not in ("HTTPValidationError", "ValidationError")}


def _uses(dependant: Dependant, call: Any) -> bool:
    return any(d.call is call or _uses(d, call) for d in dependant.dependencies)


def identity_parameters(app: FastAPI, spec: dict[str, Any]) -> None:
    """Document `identity_headers` on every operation whose route depends on `identity` (which reads the headers
    itself), as FastAPI documented them when they were the dependency's parameters: after the others."""
    probe = FastAPI()

    async def route() -> None:
        return None

    probe.get("/", dependencies=[Depends(identity_headers)])(route)
    params = probe.openapi()["paths"]["/"]["get"]["parameters"]
    for r in routing.iter_route_contexts(app.routes):  # as FastAPI's openapi() walks them (included routers)
        if isinstance(r.original_route, APIRoute) and r.include_in_schema and _uses(r.dependant, identity):
            for method in r.methods or ():
                path = spec["paths"][r.path_format]
                op = path[method.lower()]
                if "parameters" not in op:  # where FastAPI puts them: after the operation's id
                    at = list(op).index("operationId") + 1
                    path[method.lower()] = op = {**dict(list(op.items())[:at]), "parameters": [], **op}
                op["parameters"].extend(copy.deepcopy(params))


def document(app: FastAPI) -> None:
    """Add the models routes read by hand (the frame import parses JSON or JSON lines itself, the save reads the
    JSON the edge parsed) to /openapi.json's components, so their documented bodies can refer to them."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = generate()
            _, defs = models_json_schema([(FrameBody, "validation")], ref_template="#/components/schemas/{model}")
            # FastAPI's components are sorted by name: the save body's go among them, as when it declared it.
            generated = {**body_schemas(SaveFrameBody), **spec["components"]["schemas"]}
            spec["components"]["schemas"] = dict(sorted(generated.items()))
            save = spec["paths"]["/api/v1/versions/{version_id}/frames/{frame_id}/save"]["post"]
            save["responses"] = save.pop("responses")  # after the requestBody openapi_extra added, as before
            for name, schema in defs.get("$defs", {}).items():
                spec["components"]["schemas"].setdefault(name, schema)
            identity_parameters(app, spec)
            _exact_bounds(spec)
            for path in spec["paths"].values():  # edge.py: every `*_id` parameter is an id
                for op in path.values():
                    for param in op.get("parameters", []):
                        if param["name"].endswith("_id") and param["in"] in ("path", "query"):
                            param["schema"]["maxLength"] = MAX_ID_LENGTH
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]
