"""The answers' shapes, for the OpenAPI description at /api/openapi.json.

They follow the Hub's published description of its papers endpoints; the views write
the JSON themselves (paperwire.papers.hfjson), so these only document it.
"""

from __future__ import annotations

from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field


class Error(Schema):
    error: str = Field(description="What is wrong with the request")


class HubSchema(Schema):
    model_config = ConfigDict(populate_by_name=True)


class UserOut(HubSchema):
    id_: str = Field(alias="_id", description="24 hex digits, stable")
    avatarUrl: str
    fullname: str
    isPro: bool
    name: str
    type: Literal["user"]
    user: str


class AuthorOut(HubSchema):
    id_: str = Field(alias="_id", description="24 hex digits, stable per author name")
    name: str
    hidden: bool
    status: str | None = Field(None, description="claimed_verified when claimed here")
    statusLastChangedAt: str | None = None
    user: UserOut | None = None


class OrganizationOut(HubSchema):
    id_: str = Field(alias="_id")
    name: str
    fullname: str | None = None
    avatar: str | None = None


class PaperOut(HubSchema):
    id: str
    authors: list[AuthorOut]
    mediaUrls: list[str] | None = None
    publishedAt: str
    submittedOnDailyAt: str | None = None
    title: str
    submittedOnDailyBy: UserOut | None = None
    summary: str
    upvotes: int
    withdrawnAt: str | None = None
    discussionId: str
    projectPage: str | None = None
    githubRepo: str | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] | None = None
    ai_summary_model: str | None = None
    githubStars: int | None = None
    organization: OrganizationOut | None = None


class DailyPaperOut(HubSchema):
    paper: PaperOut
    publishedAt: str
    title: str
    summary: str
    mediaUrls: list[str] | None = None
    thumbnail: str
    numComments: int
    submittedBy: UserOut | None
    organization: OrganizationOut | None = None
    isAuthorParticipating: bool


class CommentOut(HubSchema):
    id: str
    createdAt: str
    type: Literal["comment"]
    author: dict[str, Any] | None = None
    data: dict[str, Any]


class PaperInfoOut(PaperOut):
    linkedModels: list[dict[str, Any]] = Field(description="Always empty: no models here")
    numTotalModels: int
    linkedDatasets: list[dict[str, Any]] = Field(description="Always empty")
    numTotalDatasets: int
    linkedSpaces: list[dict[str, Any]] = Field(description="Always empty")
    numTotalSpaces: int
    comments: list[CommentOut] | None = Field(None, description="With ?field=comments")


class PaperListItemOut(HubSchema):
    id: str
    title: str
    upvotes: int
    publishedAt: str
    thumbnailUrl: str | None = None
    authors: list[AuthorOut]
    summary: str
    projectPage: str | None = None
    githubRepo: str | None = None
    ai_summary: str | None = None
    organization: OrganizationOut | None = None
