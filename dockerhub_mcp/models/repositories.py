"""Repositories and tags: lenient wire models of Hub's JSON, and the trimmed results tools return.

Wire models ignore unknown fields and accept both the spec's and real Hub's tag shapes (`images` as an
object or an array, `status` or `tag_status`, a tag-level `digest` that old images lack).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema, field_validator

__all__ = [
    "Connection",
    "DeletedTag",
    "DescriptionUpdate",
    "HubImage",
    "HubPage",
    "HubRepository",
    "HubResponse",
    "HubTag",
    "ImageDetails",
    "RepositoryDetails",
    "RepositoryPage",
    "RepositorySummary",
    "Result",
    "TagDetails",
    "TagPage",
    "TagSummary",
    "TeamAccess",
    "Timestamp",
    "Wire",
    "WireTime",
]

T = TypeVar("T")


def _utc(value: datetime) -> datetime:
    # A timestamp without an offset is UTC, as Hub means it: comparing naive and aware times raises.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


WireTime = Annotated[datetime, AfterValidator(_utc)]
"""A timestamp read from Hub: always timezone-aware (naive ones are taken as UTC)."""

Timestamp = Annotated[
    WireTime,
    PlainSerializer(lambda value: value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A timestamp in a result: UTC to the second, e.g. `2026-12-01T09:30:00Z` (Hub's microseconds are noise)."""


class Wire(BaseModel):
    """Base of the wire models: unknown fields are ignored, as Hub adds fields freely."""

    # Built on first use: a server answers `initialize` and `tools/list` without reading any of Hub's answers.
    model_config = ConfigDict(extra="ignore", defer_build=True)


class HubPage(Wire, Generic[T]):
    """Hub's page: `{count, next, previous, results}`; `next` is an absolute URL or null."""

    count: int = 0
    next: str | None = None
    previous: str | None = None
    results: list[T] = Field(default_factory=list)


class HubRepository(Wire):
    """A repository as Hub lists or returns it (`repository_list_entry` / `repository_info`)."""

    name: str
    namespace: str = ""
    description: str | None = None
    full_description: str | None = None
    is_private: bool = False
    status: int | None = None
    status_description: str | None = None
    star_count: int = 0
    pull_count: int = 0
    last_updated: WireTime | None = None
    date_registered: WireTime | None = None
    repository_type: str | None = None


class HubImage(Wire):
    """One platform image of a tag."""

    architecture: str | None = None
    os: str | None = None
    variant: str | None = None
    digest: str | None = None
    size: int | None = None
    status: str | None = None
    last_pushed: WireTime | None = None
    last_pulled: WireTime | None = None

    @property
    def platform(self) -> str:
        """`os/architecture[/variant]`, e.g. `linux/arm64/v8`."""
        platform = f"{self.os or 'unknown'}/{self.architecture or 'unknown'}"
        return f"{platform}/{self.variant}" if self.variant else platform


class HubTag(Wire):
    """A tag in either the spec's or real Hub's shape."""

    name: str
    digest: str | None = None
    full_size: int | None = None
    status: str | None = None
    tag_status: str | None = None
    last_updated: WireTime | None = None
    last_updater_username: str | None = None
    tag_last_pushed: WireTime | None = None
    tag_last_pulled: WireTime | None = None
    images: list[HubImage] = Field(default_factory=list)

    @field_validator("images", mode="before")
    @classmethod
    def _images_as_list(cls, value: Any) -> Any:
        if value is None:
            return []
        return [value] if isinstance(value, dict) else value

    @property
    def effective_digest(self) -> str | None:
        """The tag-level digest, or the single image's digest for old single-platform images."""
        if self.digest:
            return self.digest
        digests = [image.digest for image in self.images if image.digest]
        return digests[0] if len(digests) == 1 else None

    @property
    def effective_status(self) -> str | None:
        """`tag_status` (real Hub) or `status` (spec)."""
        return self.tag_status or self.status

    @property
    def pushed_at(self) -> datetime | None:
        """When the tag was last pushed, falling back to `last_updated`."""
        return self.tag_last_pushed or self.last_updated

    @property
    def architectures(self) -> list[str]:
        """Distinct platforms of the tag's images, e.g. `linux/amd64`."""
        known = (image.platform for image in self.images if image.architecture not in (None, "unknown"))
        return list(dict.fromkeys(known))


# Results: trimmed and typed; every field is paid for in the model's context. Optional fields default to
# None and are left out of a result when empty (results are dumped without nulls).


class Result(BaseModel):
    """Base of the results tools and the CLI return."""

    # Built on first use: `tools/list` reads only the field annotations (`tools.schema.lean_output`).
    model_config = ConfigDict(defer_build=True)


class RepositorySummary(Result):
    """A repository in a list."""

    name: str
    description: str | None = None
    is_private: bool
    last_updated: Timestamp | None = None
    pull_count: int
    star_count: int

    @classmethod
    def from_wire(cls, repo: HubRepository) -> RepositorySummary:
        """Trim a wire repository."""
        return cls(
            name=repo.name,
            description=repo.description or None,
            is_private=repo.is_private,
            last_updated=repo.last_updated,
            pull_count=repo.pull_count,
            star_count=repo.star_count,
        )


class RepositoryPage(Result):
    """One page of a namespace's repositories."""

    namespace: str
    count: int
    page: int
    next_page: int | None = None
    repositories: list[RepositorySummary]


class RepositoryDetails(RepositorySummary):
    """A repository with its full description."""

    namespace: str
    full_description: str | None = None
    date_registered: Timestamp | None = None
    status: str | None = None

    @classmethod
    def from_wire(cls, repo: HubRepository) -> RepositoryDetails:
        """Trim a wire repository."""
        return cls(
            namespace=repo.namespace,
            full_description=repo.full_description or None,
            date_registered=repo.date_registered,
            status=repo.status_description,
            **RepositorySummary.from_wire(repo).model_dump(),
        )


class TagSummary(Result):
    """A tag in a list."""

    name: str
    digest: str | None = None
    last_pushed: Timestamp | None = None
    last_pulled: Timestamp | None = None
    size: int | None = None
    platforms: list[str]

    @classmethod
    def from_wire(cls, tag: HubTag) -> TagSummary:
        """Trim a wire tag."""
        return cls(
            name=tag.name,
            digest=tag.effective_digest,
            last_pushed=tag.pushed_at,
            last_pulled=tag.tag_last_pulled,
            size=tag.full_size,
            platforms=tag.architectures,
        )


class TagPage(Result):
    """One page of a repository's tags."""

    namespace: str
    repository: str
    count: int
    page: int
    next_page: int | None = None
    tags: list[TagSummary]


class ImageDetails(Result):
    """One platform image of a tag."""

    platform: str
    digest: str | None = None
    size: int | None = None
    last_pushed: Timestamp | None = None
    last_pulled: Timestamp | None = None


class TagDetails(TagSummary):
    """A tag with its platform images."""

    namespace: str
    repository: str
    status: str | None = None
    pushed_by: str | None = None
    images: list[ImageDetails]

    @classmethod
    def from_wire_in(cls, namespace: str, repository: str, tag: HubTag) -> TagDetails:
        """Trim a wire tag of `namespace/repository`."""
        return cls(
            namespace=namespace,
            repository=repository,
            status=tag.effective_status,
            pushed_by=tag.last_updater_username,
            images=[
                ImageDetails(
                    platform=image.platform,
                    digest=image.digest,
                    size=image.size,
                    last_pushed=image.last_pushed,
                    last_pulled=image.last_pulled,
                )
                for image in tag.images
            ],
            **TagSummary.from_wire(tag).model_dump(),
        )


class DescriptionUpdate(RepositorySummary):
    """A repository after its descriptions were set, and whether Hub stored what was sent."""

    stored_as_sent: bool
    note: str | None = None


class DeletedTag(Result):
    """The outcome of deleting a tag."""

    namespace: str
    repository: str
    tag: str
    deleted: bool


class TeamAccess(Result):
    """A team's permission on a repository after granting it, and what the grant changed."""

    namespace: str
    repository: str
    group_id: int
    group_name: str | None = None
    permission: str
    change: Literal["granted", "changed", "unchanged"]


class HubResponse(Result):
    """The answer to a raw Hub request."""

    status: int
    body: Any = None
    note: str | None = None


class Connection(Result):
    """Who this server is connected as; never the token."""

    username: str = Field(description="The Docker ID, or the organization of an organization access token.")
    token_kind: Literal["pat", "oat"]
    warning: str | None = Field(default=None, description="The token was signed in as another account.")
    label: str | None = None
    api_url: str
    read_only: bool
    sandbox: bool
    protected_tags: list[str]
