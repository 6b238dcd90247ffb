"""Deterministic demo data: namespace `demo` (6 repositories), organization `acme` (2 repositories, members
with roles, 2 teams, team grants, invites, an access token and an audit log) and the official images of
`library`, for the public search.

Everything comes from `random.Random(seed)` and timestamps are ages before the build time, so the same
seed gives the same Hub (digests, sizes, ages, pulls) on every run, whatever the date; only the names of
`prod-YYYYMMDD` tags follow the calendar.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime

from dockerhub_mcp.sandbox.builders import AUTO
from dockerhub_mcp.sandbox.model import OrgRole, Permission
from dockerhub_mcp.sandbox.state import HubState

__all__ = [
    "DEMO_REPOSITORIES",
    "OFFICIAL_IMAGES",
    "SANDBOX_OAT",
    "SANDBOX_ORG",
    "SANDBOX_TOKEN",
    "SANDBOX_USERNAME",
    "RepoSpec",
    "seed_hub",
]

SANDBOX_USERNAME = "demo"
SANDBOX_TOKEN = "dckr_pat_sandbox_demo_0000000000000000"  # level repo:admin
SANDBOX_ORG = "acme"
SANDBOX_OAT = "dckr_oat_sandbox_acme_00000000000000000"  # the organization access token of acme
GROUPS = {"developers": 101, "ops": 102}
# acme's people: (username, role, full name); demo is the owner. Who is in which team, and which team may do
# what with which repository.
MEMBERS: tuple[tuple[str, OrgRole, str], ...] = (
    ("alice", "editor", "Alice Archer"),
    ("bob", "member", "Bob Baker"),
    ("carol", "member", "Carol Chen"),
)
TEAM_MEMBERS = {"developers": ("alice", "bob"), "ops": ("carol", SANDBOX_USERNAME)}
TEAM_GRANTS: dict[tuple[str, str], Permission] = {
    ("platform", "developers"): "write",
    ("platform", "ops"): "admin",
    ("tools", "developers"): "read",
}
INVITES = (("dave", "developers"), ("erin@acme.example", "ops"))
PUSHERS = (SANDBOX_USERNAME, "alice", "bob")  # who pushes acme's tags, in turn
# Official images (namespace `library`) for the public search: name, description, pulls, stars.
OFFICIAL_IMAGES = (
    ("nginx", "Official build of Nginx.", 12_000_000_000, 20_000),
    ("redis", "Redis is the world's fastest data platform.", 9_000_000_000, 13_000),
    ("postgres", "The PostgreSQL object-relational database system.", 8_000_000_000, 14_000),
    ("alpine", "A minimal Docker image based on Alpine Linux.", 10_000_000_000, 11_000),
    ("python", "Python is an interpreted, interactive, object-oriented language.", 7_000_000_000, 10_000),
)

_MINUTE, _HOUR, _DAY = 60.0, 3600.0, 86400.0
_YEAR = 365 * _DAY
_MB = 1_000_000


@dataclass(frozen=True)
class RepoSpec:
    """How one seeded repository looks: tag count, ages, sizes, architectures, pull habits."""

    namespace: str
    name: str
    tags: int
    description: str
    is_private: bool = False
    size_mb: int = 150
    multi_arch: float = 0.4  # share of (recent) tags with amd64 + arm64 images
    never_pulled: float = 0.2  # share of tags older than a month never pulled
    newest: float = 10 * _MINUTE  # age of the newest tag
    oldest: float = 2.2 * _YEAR  # age of the oldest tag
    pull_count: int = 1000
    star_count: int = 0
    category: tuple[str, str] | None = None


DEMO_REPOSITORIES: tuple[RepoSpec, ...] = (
    RepoSpec(
        "demo",
        "web",
        180,
        "Acme storefront web frontend (nginx + static assets)",
        size_mb=150,
        multi_arch=0.5,
        never_pulled=0.25,
        newest=4 * _MINUTE,
        oldest=2.4 * _YEAR,
        pull_count=48_210,
        star_count=12,
        category=("Web servers", "web-servers"),
    ),
    RepoSpec(
        "demo",
        "api",
        160,
        "REST API backend for the storefront",
        size_mb=250,
        multi_arch=0.4,
        newest=30 * _MINUTE,
        oldest=2.2 * _YEAR,
        pull_count=30_555,
        star_count=7,
    ),
    RepoSpec(
        "demo",
        "worker",
        40,
        "Background job worker (queues, cron)",
        size_mb=600,
        multi_arch=0.2,
        never_pulled=0.3,
        newest=2 * _HOUR,
        oldest=2.1 * _YEAR,
        pull_count=5_120,
        star_count=1,
    ),
    RepoSpec(
        "demo",
        "docs",
        5,
        "Internal documentation site",
        is_private=True,
        size_mb=40,
        multi_arch=0.0,
        newest=3 * _DAY,
        oldest=200 * _DAY,
        pull_count=88,
    ),
    RepoSpec(
        "demo",
        "legacy-app",
        25,
        "",
        size_mb=850,
        multi_arch=0.0,
        never_pulled=0.7,
        newest=1.5 * _YEAR,
        oldest=3.5 * _YEAR,
        pull_count=901,
    ),
    RepoSpec("demo", "empty", 0, "", pull_count=0),
    RepoSpec(
        "acme",
        "platform",
        40,
        "Internal platform services",
        is_private=True,
        size_mb=300,
        multi_arch=0.5,
        newest=15 * _MINUTE,
        oldest=2.1 * _YEAR,
        pull_count=12_004,
        star_count=3,
    ),
    RepoSpec(
        "acme",
        "tools",
        10,
        "Small CLI tools for the platform team",
        size_mb=15,
        multi_arch=0.6,
        newest=1 * _DAY,
        oldest=400 * _DAY,
        pull_count=640,
    ),
)


def seed_hub(state: HubState, *, seed: int, at: float, demo: bool = True) -> None:
    """Populate an empty `state`: always the demo user and PAT; with `demo`, the repositories and org.

    `at` is the build time; every timestamp is an age before it, so `reset()` reproduces the same data.
    """
    state.add_user(
        SANDBOX_USERNAME, SANDBOX_TOKEN, "repo:admin", full_name="Demo User", company="Acme", location="Berlin"
    )
    if not demo:
        return
    rng = random.Random(seed)
    state.add_org(SANDBOX_ORG, owners=[SANDBOX_USERNAME], full_name="Acme Corp", company="Acme", location="Remote")
    state.add_group(SANDBOX_ORG, "developers", group_id=GROUPS["developers"], description="Application developers")
    state.add_group(SANDBOX_ORG, "ops", group_id=GROUPS["ops"], description="Operations and on-call")
    for spec in DEMO_REPOSITORIES:
        _seed_repository(state, rng, spec, at)
    _seed_organization(state, at)
    _seed_official_images(state, at)


def _seed_organization(state: HubState, at: float) -> None:
    """acme's members, teams, grants, invites and token; its repositories' pushes are already in its log."""
    for username, role, full_name in MEMBERS:
        state.add_user(username, email=f"{username}@acme.example", full_name=full_name, company="Acme")
        state.add_org_member(SANDBOX_ORG, username, role=role)
    org = state.orgs[SANDBOX_ORG]
    for team, members in TEAM_MEMBERS.items():
        org.groups[GROUPS[team]].members.update(members)
    for (repository, team), permission in TEAM_GRANTS.items():
        repo = state.repository(SANDBOX_ORG, repository)
        if repo is not None:
            repo.grants[GROUPS[team]] = permission
    for days, (invitee, team) in enumerate(INVITES, start=2):
        state.add_invite(SANDBOX_ORG, invitee, inviter=SANDBOX_USERNAME, team=team, at=at - days * _DAY)
    state.add_oat(SANDBOX_ORG, SANDBOX_OAT)


def _seed_official_images(state: HubState, at: float) -> None:
    """The `library` namespace: a few official images with two tags each, public, for the image search."""
    state.add_org("library", full_name="Docker Official Images", company="Docker")
    for name, description, pulls, stars in OFFICIAL_IMAGES:
        state.add_repository(
            "library",
            name,
            description=description,
            full_description=f"# {name}\n\n{description}\n",
            pull_count=pulls,
            star_count=stars,
            registered_at=at - 3000 * _DAY,
        )
        for age, tag in ((2 * _DAY, "latest"), (40 * _DAY, "stable")):
            state.add_tag("library", name, tag, pushed_at=at - age, archs=("amd64", "arm64"), updater="library")


def _full_description(spec: RepoSpec) -> str:
    intro = spec.description or f"The `{spec.name}` image."
    credit = "\n\nBuilt and maintained by the Acme web team.\n" if spec.name == "web" else "\n"
    return (
        f"# {spec.namespace}/{spec.name}\n\n{intro}{credit}\n## Usage\n\n"
        f"```sh\ndocker pull {spec.namespace}/{spec.name}:latest\n```\n"
    )


def _ages(rng: random.Random, spec: RepoSpec) -> list[float]:
    """Push ages, newest first: the two extremes pinned, the rest log-uniform between them."""
    if spec.tags == 0:
        return []
    lo, hi = math.log(spec.newest), math.log(spec.oldest)
    middle = [math.exp(rng.uniform(lo, hi)) for _ in range(max(0, spec.tags - 2))]
    ends = [spec.newest, spec.oldest][: spec.tags]
    return sorted(ends + middle)


def _versions(rng: random.Random, count: int) -> list[str]:
    """`count` increasing semantic versions, oldest first."""
    major, minor, patch = 1, 0, 0
    found: list[str] = []
    for _ in range(count):
        found.append(f"v{major}.{minor}.{patch}")
        roll = rng.random()
        if roll < 0.02:
            major, minor, patch = major + 1, 0, 0
        elif roll < 0.3:
            minor, patch = minor + 1, 0
        else:
            patch += 1
    return found


def _names(rng: random.Random, ages: list[float], at: float) -> list[str]:
    """Realistic tag names for tags of these ages (newest first)."""
    if not ages:
        return []
    fixed = ["latest", "main", "dev"][: min(3, max(1, len(ages) - 2))]
    kinds = [rng.choices(("semver", "prod", "sha"), weights=(4, 3, 3))[0] for _ in ages[len(fixed) :]]
    versions = iter(reversed(_versions(rng, kinds.count("semver"))))  # newest version on the newest slot
    names, used = list(fixed), set(fixed)
    for age, kind in zip(ages[len(fixed) :], kinds, strict=True):
        if kind == "semver":
            name = next(versions)
        elif kind == "prod":
            # Two builds on one day get a suffix, never another draw: which days collide depends on the
            # calendar, and a draw here would shift every later repository's data with the date.
            day = datetime.fromtimestamp(at - age, UTC).strftime("%Y%m%d")
            name = base = f"prod-{day}"
            while name in used:
                name = f"{base}-{sum(n.startswith(base) for n in used) + 1}"
        else:
            name = ""
            while not name or name in used:
                name = f"sha-{rng.getrandbits(28):07x}"
        names.append(name)
        used.add(name)
    return names


def _archs(roll: float, spec: RepoSpec, *, recent: bool) -> tuple[str, ...]:
    # Multi-arch builds only became a habit lately; a few tags are arm64-only.
    if recent and roll < spec.multi_arch:
        return ("amd64", "arm64")
    return ("arm64",) if roll > 0.95 else ("amd64",)


def _seed_repository(state: HubState, rng: random.Random, spec: RepoSpec, at: float) -> None:
    registered = at - spec.oldest - rng.uniform(1, 60) * _DAY
    repo = state.add_repository(
        spec.namespace,
        spec.name,
        description=spec.description,
        full_description=_full_description(spec),
        is_private=spec.is_private,
        pull_count=spec.pull_count,
        star_count=spec.star_count,
        registered_at=registered,
        categories=[{"name": spec.category[0], "slug": spec.category[1]}] if spec.category else (),
    )
    repo.last_modified = registered + rng.uniform(0, 30) * _DAY
    ages = _ages(rng, spec)
    latest_copied = False
    for age, name in zip(ages, _names(rng, ages, at), strict=True):
        pushed = at - age
        pulled: float | None = None
        never = spec.never_pulled if age > 30 * _DAY else 0.1
        if rng.random() >= never:
            pulled = at - age * rng.random() ** 2  # pulls lean towards recent days
        if name.startswith("v") and not latest_copied and "latest" in repo.tags:
            # `latest` and the newest release point at the same manifest, as on real Hub.
            latest = repo.tags["latest"]
            latest_copied = True
            state.add_tag(
                spec.namespace,
                spec.name,
                name,
                pushed_at=pushed,
                pulled_at=pulled,
                digest=latest.digest,
                archs=[i.architecture for i in latest.images],
                size=latest.images[0].size,
                image_digests=[i.digest for i in latest.images],
            )
            continue
        archs = _archs(rng.random(), spec, recent=age < 1.5 * _YEAR)
        size = min(900 * _MB, max(10 * _MB, int(spec.size_mb * rng.uniform(0.8, 1.2) * _MB)))
        # Images pushed long ago carry no tag-level digest; clients must fall back to images[].digest.
        digest = None if age > 2 * _YEAR and rng.random() < 0.7 else AUTO
        state.add_tag(
            spec.namespace,
            spec.name,
            name,
            pushed_at=pushed,
            pulled_at=pulled,
            digest=digest,
            archs=archs,
            size=size,
            updater=PUSHERS[len(repo.tags) % len(PUSHERS)] if spec.namespace == SANDBOX_ORG else None,
        )
