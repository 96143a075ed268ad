"""The Hub's published OpenAPI description of its papers endpoints (a copy, in
tests/api/data), turned into validators for our answers.

Two changes are made to it, each for a reason the description itself gives:

- `organization`. The Hub's daily papers and paper objects carry the paper's
  organization ({_id, name, fullname, avatar}), and huggingface_hub reads it
  (PaperInfo.organization), but the description lists it only for GET /api/papers.
  It is allowed where the Hub sends it, with the description's own schema of it.
- A comment's `author` is `allOf` [a user or org overview, {isOwner, …}], both with
  additionalProperties false: no object with any key satisfies both. It is read as
  meant: one object with the keys of both.

Nothing else is relaxed: every other key, type, pattern and required list stands.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

DATA = Path(__file__).resolve().parent / "api" / "data"
SPEC: dict[str, Any] = json.loads((DATA / "hf-hub-papers-openapi.json").read_text("utf-8"))
HUB_DAILY_FILE = DATA / "hub_daily_papers.json"


def _ok_schema(path: str) -> dict[str, Any]:
    content = SPEC[path]["get"]["responses"]["200"]["content"]["application/json"]
    return copy.deepcopy(content["schema"])


ORGANIZATION = _ok_schema("/api/papers")["items"]["properties"]["organization"]


def _merged_comment_author(all_of: list[dict[str, Any]]) -> dict[str, Any]:
    overview, extra = all_of
    variants = []
    for variant in overview["anyOf"]:
        merged = copy.deepcopy(variant)
        merged["properties"].update(copy.deepcopy(extra["properties"]))
        variants.append(merged)
    return {"anyOf": variants}


def _daily() -> dict[str, Any]:
    schema = _ok_schema("/api/daily_papers")
    item = schema["items"]
    item["properties"]["organization"] = ORGANIZATION
    item["properties"]["paper"]["properties"]["organization"] = ORGANIZATION
    return schema


def _paper() -> dict[str, Any]:
    schema = _ok_schema("/api/papers/{paperId}")
    schema["properties"]["organization"] = ORGANIZATION
    comment = schema["properties"]["comments"]["items"]
    comment["properties"]["author"] = _merged_comment_author(
        comment["properties"]["author"]["allOf"]
    )
    return schema


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


DAILY_PAPERS = _validator(_daily())
DAILY_ITEM = _validator(_daily()["items"])
PAPER_LIST = _validator(_ok_schema("/api/papers"))
PAPER = _validator(_paper())


def problems(validator: Draft202012Validator, answer: Any) -> list[str]:
    """Every way the answer breaks the schema, with where: [] when it validates."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
        for error in validator.iter_errors(answer)
    ]


def parameters(path: str) -> dict[str, dict[str, Any]]:
    """The spec's parameters of an endpoint, by name."""
    operation = SPEC[path]["get"]
    return {p["name"]: p for p in operation.get("parameters", [])}
