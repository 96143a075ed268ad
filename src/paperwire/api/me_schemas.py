"""Shapes of the endpoints that act for a token's owner (/api/whoami-v2, /api/me/…,
collections, votes and comments), for the OpenAPI description."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from paperwire.api.schemas import DailyPaperOut, HubSchema, PaperListItemOut, UserOut
from paperwire.community.models import (
    COLLECTION_DESCRIPTION_MAX,
    COLLECTION_NAME_MAX,
    COMMENT_MAX_LENGTH,
)

# Ids of papers as sent: an arXiv id (with or without version) or a paperwire id.
PAPER_ID_MAX = 64


class WhoAmIOrg(HubSchema):
    type: Literal["org"]
    id: str
    name: str
    fullname: str
    email: str | None
    canPay: bool
    avatarUrl: str
    periodEnd: int | None


class AccessTokenInfo(HubSchema):
    displayName: str
    role: Literal["read", "write"]
    createdAt: str


class WhoAmIAuth(HubSchema):
    type: Literal["access_token"]
    accessToken: AccessTokenInfo


class WhoAmIOut(HubSchema):
    """The Hub's /api/whoami-v2 answer for a user token."""

    type: Literal["user"]
    id: str
    name: str
    fullname: str
    email: str | None
    emailVerified: bool
    canPay: bool
    isPro: bool
    avatarUrl: str
    periodEnd: int | None
    orgs: list[WhoAmIOrg]
    auth: WhoAmIAuth


class ForYouItemOut(DailyPaperOut):
    reason: str = Field(description="Why the paper is here, e.g. like “…” you saved")


class SaveOut(HubSchema):
    id: str = Field(description="The paper's id")
    title: str
    savedAt: str
    read: bool
    readAt: str | None = None


class SavedOut(HubSchema):
    id: str
    saved: bool


class VoteOut(HubSchema):
    id: str
    upvoted: bool
    upvotes: int


class CollectionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=COLLECTION_NAME_MAX, pattern=r"\S")
    namespace: str | None = Field(None, max_length=150, description="Your username, if sent")
    description: str = Field("", max_length=COLLECTION_DESCRIPTION_MAX)
    private: bool = True


class CollectionUpdate(Schema):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, min_length=1, max_length=COLLECTION_NAME_MAX, pattern=r"\S")
    description: str | None = Field(None, max_length=COLLECTION_DESCRIPTION_MAX)
    private: bool | None = None


class CollectionPaperIn(Schema):
    model_config = ConfigDict(extra="forbid")
    paper: str = Field(min_length=1, max_length=PAPER_ID_MAX, description="The paper's id")


class CollectionOrderIn(Schema):
    model_config = ConfigDict(extra="forbid")
    papers: list[str] = Field(
        max_length=1000, description="Every paper id of the collection, in the new order"
    )


class CollectionItemOut(PaperListItemOut):
    id_: str = Field(alias="_id", description="The item's own id")
    position: int
    type: Literal["paper"]


class ListedCollectionOut(HubSchema):
    """A collection as the Hub's list gives it: no position of its own (huggingface_hub's
    list_collections passes one) and at most four items."""

    slug: str
    title: str
    description: str
    owner: UserOut
    items: list[CollectionItemOut]
    lastUpdated: str
    private: bool
    theme: str
    upvotes: int
    url: str


class CollectionOut(ListedCollectionOut):
    """A collection in the Hub's shape (huggingface_hub's get_collection reads it)."""

    position: int


class CommentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    comment: str = Field(
        min_length=1, max_length=COMMENT_MAX_LENGTH, pattern=r"\S", description="Markdown"
    )


class PostedCommentOut(HubSchema):
    id: str
    createdAt: str
    type: Literal["comment"]
    author: dict[str, Any] | None = None
    data: dict[str, Any]
