"""Property-based tests of bad input (issue 4): every name, path, query, page, glob and find/replace string
either reaches the canonical path, percent-encoded, or is refused with a clear error before anything is sent.

Each example drives a real `DockerHubClient` against a fresh sandbox Hub, through a transport that also
keeps the raw (still percent-encoded) path of every request as it went on the wire. The oracles here are
written from `hub-facts.md` §8 and the docstrings, not from the product's own validators.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import quote, unquote_to_bytes

import anyio
import httpx2
import pytest
from hypothesis import currently_in_test_context, event, given, settings
from hypothesis import strategies as st

from dockerhub_mcp.client import DockerHubClient, RawAnswer
from dockerhub_mcp.errors import (
    DockerHubError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    TokenKindError,
)
from dockerhub_mcp.models import HubPage
from dockerhub_mcp.operations import OPERATIONS, Operation, check_glob, is_protected
from dockerhub_mcp.sandbox import Sandbox, build_sandbox
from dockerhub_mcp.workflows.cleanup import CleanupPlan, CleanupRules, plan_cleanup
from dockerhub_mcp.workflows.descriptions import DescriptionReport, bulk_descriptions
from helpers import fixed_clock, make_settings

# Every example starts an event loop, a client and a token exchange: a few milliseconds, but the first
# ones (imports, JWT key setup) can pass hypothesis' 200 ms deadline, so there is none. Derandomized and
# without a database: every run tries the same inputs and nothing is written into the tree.
PROPERTY = settings(max_examples=100, deadline=None, derandomize=True, database=None)

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
DAY = 86400.0

# hub-facts §8, written out independently of operations.py.
NAMESPACE_RULE = re.compile(r"[a-z0-9_-]{2,255}")
REPOSITORY_RULE = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")  # plus 2-255 characters
TAG_RULE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
# Other path variables (ids, org and team names): the table's own rule is not documented, so an oracle can
# only say what must pass (plain lowercase words) and what may (URL-unreserved characters, no dot segment).
PLAIN_SEGMENT = re.compile(r"[a-z0-9]{1,16}")
UNRESERVED_SEGMENT = re.compile(r"[A-Za-z0-9._~@-]{1,255}")
# A path as it may go on the wire: segments of unreserved characters and %XX escapes only.
WIRE_PATH = re.compile(rb"(?:/(?:[A-Za-z0-9._~-]|%[0-9A-F]{2})+)+/?")
WIRE_QUERY = re.compile(rb"(?:[A-Za-z0-9._~*+=&-]|%[0-9A-F]{2})*")

NASTY_NAMES = [
    *("", ".", "..", "../etc", "a/b", "%2f", "%2e%2e", "web?x=1", "web#top", "we b", " web", "web\n", "web\t"),
    *("WEB", "x", "web\x00", "w\u00e9b", "\uff57\uff45\uff42", "web\u200b", "\u0661\u0662", "a\\b", "a//b", "-web"),
    *("web-", "web.", ".web", "a..b", "a__b", "a---b", "a_-b", "latest", "Latest", "v1", "_", "__", "web", "demo"),
]
BOUNDARY_LENGTHS = [1, 2, 127, 128, 129, 255, 256, 1000]


def names(rule: re.Pattern[str], *known: str) -> st.SearchStrategy[str]:
    """Names the sandbox knows, valid names, near misses, hostile strings, arbitrary text, long names."""
    return st.one_of(
        st.sampled_from(known),
        st.from_regex(rule, fullmatch=True),
        st.sampled_from(NASTY_NAMES),
        st.text(max_size=12),
        st.text(alphabet="ab-._/%?#\\ ", max_size=12),
        st.sampled_from(BOUNDARY_LENGTHS).map(lambda n: "a" * n),
    )


GROUP_ID_RULE = re.compile(r"[1-9][0-9]{0,18}")


def valid(kind: str, value: str) -> bool:
    """Whether `value` is a valid namespace (or organization), repository, tag or team id by hub-facts §8."""
    if kind in ("namespace", "org_name"):
        return NAMESPACE_RULE.fullmatch(value) is not None
    if kind == "group_id":
        return GROUP_ID_RULE.fullmatch(value) is not None
    if kind == "repository":
        return 2 <= len(value) <= 255 and REPOSITORY_RULE.fullmatch(value) is not None
    return TAG_RULE.fullmatch(value) is not None


def encoded(segments: list[str], *, slash: bool = False) -> bytes:
    """The raw path a request for `segments` must carry: every segment percent-encoded (and the trailing slash
    of the routes that are sent with one)."""
    path = "/" + "/".join(quote(segment, safe="") for segment in segments) + ("/" if slash else "")
    return path.encode("ascii")


@dataclass(frozen=True)
class Sent:
    """One API request as it went on the wire: method, raw path and raw query."""

    method: str
    path: bytes
    query: bytes


class Wire(httpx2.AsyncBaseTransport):
    """Pass requests to the sandbox and keep each one's raw path (token exchanges left out)."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[Sent] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        """Record, then forward."""
        path, _, query = request.url.raw_path.partition(b"?")
        if path != b"/v2/auth/token":
            self.sent.append(Sent(request.method, path, query))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Close the sandbox transport."""
        await self.inner.aclose()


def attempt(hub: Sandbox, call: Callable[[DockerHubClient], Awaitable[Any]], **overrides: object) -> tuple[Any, Wire]:
    """Run `call` on a fresh client over `hub`; return its result or the DockerHubError it raised, and the wire.

    Any other exception propagates and fails the test.
    """
    wire = Wire(httpx2.ASGITransport(app=hub.app))

    async def main() -> Any:
        # The Hub's clock, so plans judge ages on the Hub's date (tests may move it: DOCKERHUB_MCP_TEST_NOW).
        async with DockerHubClient(make_settings(**overrides), transport=wire, clock=hub.clock.now) as client:
            try:
                return await call(client)
            except DockerHubError as exc:
                return exc

    outcome = anyio.run(main)
    note(type(outcome).__name__)
    for sent in wire.sent:
        assert WIRE_PATH.fullmatch(sent.path), sent
        assert WIRE_QUERY.fullmatch(sent.query), sent
        assert not {b".", b".."} & {unquote_to_bytes(s) for s in sent.path.split(b"/")}, sent
    return outcome, wire


def note(label: str) -> None:
    """Count `label` among a property's examples (shown by --hypothesis-show-statistics); a no-op elsewhere."""
    if currently_in_test_context():
        event(label)


def small_hub() -> Sandbox:
    """A sandbox Hub with one repository, `demo/web`, tagged `latest` and `v1`."""
    hub = build_sandbox(demo=False, clock=fixed_clock())
    hub.state.add_repository("demo", "web", description="Web frontend")
    for tag in ("latest", "v1"):
        hub.state.add_tag("demo", "web", tag)
    return hub


def answered_by_hub(outcome: object) -> bool:
    """A success, or an error Hub answered (not one the client raised before sending)."""
    return not isinstance(outcome, DockerHubError) or outcome.status is not None


# 1. Names on the dedicated methods.


@dataclass(frozen=True)
class NamedCall:
    """A client method taking names, the HTTP method it sends and the path after the repository."""

    method: str
    with_tag: bool
    call: Callable[[DockerHubClient, str, str, str], Awaitable[object]]


NAMED_CALLS = {
    "get_repository": NamedCall("GET", False, lambda c, ns, repo, _tag: c.get_repository(ns, repo)),
    "list_tags": NamedCall("GET", False, lambda c, ns, repo, _tag: c.list_tags(ns, repo)),
    "get_tag": NamedCall("GET", True, lambda c, ns, repo, tag: c.get_tag(ns, repo, tag)),
    "delete_tag": NamedCall("DELETE", True, lambda c, ns, repo, tag: c.delete_tag(ns, repo, tag)),
    "update_description": NamedCall(
        "PATCH", False, lambda c, ns, repo, _tag: c.update_description(ns, repo, description="x")
    ),
}


@pytest.mark.parametrize("name", sorted(NAMED_CALLS))
@settings(PROPERTY, max_examples=80)
@given(
    namespace=names(NAMESPACE_RULE, "demo"),
    repository=names(REPOSITORY_RULE, "web"),
    tag=names(TAG_RULE, "v1", "latest"),
)
def test_names_reach_the_canonical_path_percent_encoded_or_are_refused_unsent(
    name: str, namespace: str, repository: str, tag: str
) -> None:
    """Valid names reach /v2/namespaces/{ns}/repositories/{repo}[/tags/{tag}]; any other is named in an error."""
    spec = NAMED_CALLS[name]
    hub = small_hub()
    values = [("namespace", namespace), ("repository", repository)] + ([("tag", tag)] if spec.with_tag else [])
    invalid = [value for kind, value in values if not valid(kind, value)]

    outcome, wire = attempt(hub, lambda client: spec.call(client, namespace, repository, tag))

    if name == "delete_tag" and fnmatchcase(tag, "latest"):
        assert isinstance(outcome, PermissionDeniedError)
        assert [] == hub.requests
    elif invalid:
        assert isinstance(outcome, InvalidInputError)
        assert repr(invalid[0]) in str(outcome)
        assert [] == hub.requests
    else:
        segments = ["v2", "namespaces", namespace, "repositories", repository]
        segments += ["tags"] if name == "list_tags" else []
        segments += ["tags", tag] if spec.with_tag else []
        assert [(spec.method, encoded(segments))] == [(s.method, s.path) for s in wire.sent]
        assert [(spec.method, "/" + "/".join(segments))] == [(r.method, r.path) for r in hub.api_requests()]
        assert answered_by_hub(outcome)


@settings(PROPERTY, max_examples=60)
@given(
    description=st.one_of(st.text(max_size=20), st.integers(95, 130).flatmap(lambda n: st.text(min_size=n, max_size=n)))
)
def test_a_description_is_written_exactly_or_refused_over_100_bytes(description: str) -> None:
    """update_description stores the text unchanged, or refuses more than 100 bytes of UTF-8 with nothing sent."""
    hub = small_hub()

    outcome, wire = attempt(hub, lambda client: client.update_description("demo", "web", description=description))

    repository = hub.state.repository("demo", "web")
    assert repository is not None
    if len(description.encode("utf-8", errors="surrogatepass")) > 100:
        assert isinstance(outcome, InvalidInputError)
        assert [] == hub.requests
        assert "Web frontend" == repository.description
    else:
        assert [("PATCH", b"/v2/namespaces/demo/repositories/web")] == [(s.method, s.path) for s in wire.sent]
        assert description == repository.description


# 2. Paths of hub_request (the client's `raw`).


KIND_REFUSALS: dict[str, type[DockerHubError]] = {
    "oat_only": TokenKindError,
    "not_sent": TokenKindError,
    "deprecated": InvalidInputError,
    "refused": PermissionDeniedError,
}
NAME_VARIABLES = {"namespace", "repository", "tag", "org_name", "group_id"}
KNOWN_SEGMENTS = ["demo", "web", "v1", "latest", "acme", "developers", "1234"]
HOSTILE_SEGMENTS = [
    *("", ".", "..", "%2f", "%2e%2e", "a/b", "a?b", "a#b", "a\\b", "a b", "\u00e9", "\uff57\uff45\uff42"),
    *("A", "a@b", "_.", "a~b", "x" * 300, "\x00", "web\n"),
]
# Characters a path may carry raw (RFC 3986 sub-delims, ':' and '@'), so only the client's own encoding hides them.
UNUSUAL_SEGMENTS = ["a@b", "a:b", "a;b", "a=b", "a,b", "a+b", "a!b", "a$b", "a&b", "a'b", "a(b)", "a*b", "A-b", "_a.b"]
TEMPLATES = {op: op.template.strip("/").split("/") for op in OPERATIONS}


def valid_values(variable: str) -> st.SearchStrategy[str]:
    """Values for one path variable that any rule must accept (the sandbox knows some of them)."""
    rules = {"namespace": NAMESPACE_RULE, "org_name": NAMESPACE_RULE, "repository": REPOSITORY_RULE, "tag": TAG_RULE}
    rule = {**rules, "group_id": GROUP_ID_RULE}.get(variable, PLAIN_SEGMENT)
    known = {"namespace": "demo", "repository": "web", "tag": "v1", "group_id": "101"}.get(variable, "acme")
    regex = st.from_regex(rule, fullmatch=True)
    if variable == "repository":
        regex = regex.filter(lambda value: 2 <= len(value) <= 255)
    return st.one_of(st.just(known), regex)


def clean_values(variable: str) -> st.SearchStrategy[str]:
    """Valid values, and for variables without a documented rule also unusual but harmless-looking ones."""
    if variable in NAME_VARIABLES:
        return valid_values(variable)
    return st.one_of(valid_values(variable), st.sampled_from(UNUSUAL_SEGMENTS))


def segment_values(variable: str) -> st.SearchStrategy[str]:
    """Values for one path variable: valid ones, known ones, hostile ones and arbitrary text."""
    return st.one_of(
        valid_values(variable),
        st.sampled_from(KNOWN_SEGMENTS),
        st.sampled_from(HOSTILE_SEGMENTS),
        st.sampled_from(UNUSUAL_SEGMENTS),
        st.text(max_size=6),
    )


def variants(path: str) -> list[str]:
    """`path` and malformed relatives: traversal, escapes, query, fragment, other hosts, other case."""
    return [
        *(path, path, path, path + "/", path + "//", path + "/..", path + "/.", path + "?page=1", path + "#top"),
        path.replace("/v2/", "/v2//", 1),
        path.replace("/v2/", "/v2/./", 1),
        path.replace("/v2/", "/v2/../v2/", 1),
        path.replace("/v2/", "/v1/", 1),
        path.replace("/", "\\"),
        path.replace("/", "%2f"),
        path.upper(),
        path[1:],
        "https://evil.test" + path,
        " " + path,
        path + "\n",
    ]


PAT_OPERATIONS = [op for op in OPERATIONS if op.kind in ("any", "pat_only") and op.template.startswith("/v2/")]


@st.composite
def raw_requests(draw: st.DrawFn) -> tuple[str, str]:
    """A method and a path: random text, a clean PAT operation, or any template filled and possibly mangled."""
    mode = draw(st.sampled_from(["random", "clean", "clean", "mixed", "mixed", "mixed"]))
    if mode == "random":
        alphabet = "abdemoswtgrpiny/.%?#\\ @-_2"
        path = draw(st.one_of(st.text(max_size=40), st.text(alphabet=alphabet, max_size=40).map("/v2/".__add__)))
        return draw(st.sampled_from(METHODS)), path
    if mode == "clean":
        op = draw(st.sampled_from(PAT_OPERATIONS))
        parts = [draw(clean_values(s[1:-1])) if s.startswith("{") else s for s in TEMPLATES[op]]
        path = "/" + "/".join(parts) + draw(st.sampled_from(["", "", "/"]))
        return draw(st.sampled_from([op.method, op.method.lower()])), path
    op = draw(st.sampled_from(OPERATIONS))
    parts = [draw(segment_values(s[1:-1])) if s.startswith("{") else s for s in TEMPLATES[op]]
    path = draw(st.sampled_from(variants("/" + "/".join(parts))))
    method = draw(st.sampled_from([op.method, op.method, op.method.lower(), *METHODS]))
    return method, path


def route(method: str, path: str) -> tuple[Operation, list[str], dict[str, str]] | None:
    """The table's operation for `method` and `path` (one trailing slash tolerated), compared segment by segment."""
    if not path.startswith("/"):
        return None
    trimmed = path[1:-1] if path.endswith("/") else path[1:]
    segments = trimmed.split("/")
    for op, template in TEMPLATES.items():
        if op.method != method.upper() or len(template) != len(segments):
            continue
        if all(want.startswith("{") or want == got for want, got in zip(template, segments, strict=True)):
            variables = {w[1:-1]: g for w, g in zip(template, segments, strict=True) if w.startswith("{")}
            return op, segments, variables
    return None


def level(variable: str, value: str) -> str:
    """'valid' (must be accepted), 'maybe' (may be accepted) or 'invalid' (must be refused)."""
    if variable in NAME_VARIABLES:
        return "valid" if valid(variable, value) else "invalid"
    if PLAIN_SEGMENT.fullmatch(value):
        return "valid"
    if UNRESERVED_SEGMENT.fullmatch(value) and value not in (".", ".."):
        return "maybe"
    return "invalid"


@dataclass(frozen=True)
class Expected:
    """What the client may do with a raw request: which errors may refuse it, whether it may or must be sent."""

    refusals: frozenset[type[DockerHubError]]
    may_send: bool = False
    must_send: bool = False


def expect_raw(op: Operation, variables: dict[str, str], body: object, read_only: bool) -> Expected:
    """The oracle for a raw request that names operation `op` with `variables`."""
    levels = {level(name, value) for name, value in variables.items()}
    if "invalid" in levels:
        return Expected(frozenset({InvalidInputError}))
    maybe: frozenset[type[DockerHubError]] = frozenset([InvalidInputError] if "maybe" in levels else [])
    if body is not None and op.method in ("GET", "HEAD", "DELETE"):
        return Expected(frozenset({InvalidInputError}))
    if op.kind not in ("any", "pat_only"):  # the connection holds a PAT
        return Expected(maybe | {KIND_REFUSALS[op.kind]})
    if read_only and op.method not in ("GET", "HEAD"):
        return Expected(maybe | {PermissionDeniedError})
    return Expected(maybe, may_send=True, must_send="maybe" not in levels)


@pytest.mark.slow
@settings(PROPERTY, max_examples=400)
@given(request=raw_requests(), body=st.sampled_from([None, {"description": "x"}]), read_only=st.booleans())
def test_raw_requests_reach_only_pat_operations_of_the_table_on_their_canonical_path(
    request: tuple[str, str], body: dict[str, str] | None, read_only: bool
) -> None:
    """hub_request sends a PAT operation of the table to its canonical encoded path, or refuses, sending nothing."""
    method, path = request
    hub = small_hub()
    found = route(method, path)

    outcome, wire = attempt(hub, lambda client: client.raw(method, path, body=body), read_only=read_only)

    if found is None:
        assert type(outcome) is InvalidInputError
        assert [] == hub.requests
        return
    op, segments, variables = found
    expected = expect_raw(op, variables, body, read_only)
    if hub.requests:
        assert expected.may_send and op.kind in ("any", "pat_only")
        assert [(op.method, encoded(segments, slash=op.slash))] == [(s.method, s.path) for s in wire.sent]
        wanted = "/" + "/".join(segments) + ("/" if op.slash else "")
        assert [(op.method, wanted)] == [(r.method, r.path) for r in hub.api_requests()]
        assert isinstance(outcome, RawAnswer) or answered_by_hub(outcome)
    else:
        assert not expected.must_send, outcome
        assert type(outcome) in expected.refusals, outcome


# 3. Query parameters of hub_request.

QUERY_KEYS = st.one_of(
    st.sampled_from(["page", "page_size", "name", "ordering"]),
    st.from_regex(r"[a-z_]{1,12}", fullmatch=True),
    st.text(max_size=8),
)
PAGE_VALUES: st.SearchStrategy[str | int] = st.one_of(
    st.sampled_from([-1, 0, 1, 2, 99, 100, 101, "0", "1", "100", "101", "", "x"]),
    st.integers(-5, 150),
    st.integers(-5, 150).map(str),
)
QUERY_VALUES: st.SearchStrategy[str | int] = st.one_of(
    PAGE_VALUES,
    st.integers(),
    st.sampled_from(["", "0", "1", "100", "101", "-1", "1.5", "1e2", "ten", "0x10", "x" * 1001]),
    st.text(max_size=8),
)


def whole(value: str | None, default: int) -> int:
    """A query value as a number, the way the client checked it (the sandbox reads it the same way)."""
    return default if value is None else int(value)


@settings(PROPERTY, max_examples=150)
@given(
    paging=st.fixed_dictionaries({}, optional={"page": PAGE_VALUES, "page_size": PAGE_VALUES}),
    others=st.dictionaries(QUERY_KEYS, QUERY_VALUES, max_size=3),
)
def test_raw_query_parameters_are_refused_or_sent_as_given_with_pages_in_range(
    paging: dict[str, str | int], others: dict[str, str | int]
) -> None:
    """Queries are refused unsent, or sent exactly as given with page >= 1 and page_size in 1-100."""
    query = others | paging
    hub = small_hub()

    outcome, _wire = attempt(hub, lambda client: client.raw("GET", "/v2/namespaces/demo/repositories", query=query))

    in_range = all(
        isinstance(query.get(key, default), int) and low <= int(query.get(key, default)) <= high
        for key, default, low, high in (("page", 1, 1, 10**9), ("page_size", 1, 1, 100))
    )
    plain = all(re.fullmatch(r"[a-z_]{1,12}", key) and len(str(value)) <= 100 for key, value in query.items())
    if hub.requests:
        (sent,) = hub.api_requests()
        assert {key: str(value) for key, value in query.items()} == sent.query
        assert whole(sent.query.get("page"), 1) >= 1
        assert 1 <= whole(sent.query.get("page_size"), 1) <= 100
        assert answered_by_hub(outcome)
    else:
        assert isinstance(outcome, InvalidInputError)
        assert not (in_range and plain and set(query) <= {"page", "page_size"})


# 4. Paging of the list methods.


@pytest.mark.parametrize("listing", ["list_repositories", "list_tags"])
@settings(PROPERTY, max_examples=80)
@given(
    page=st.one_of(st.sampled_from([-1, 0, 1, 2]), st.integers(-3, 4), st.integers()),
    page_size=st.one_of(st.sampled_from([0, 1, 100, 101]), st.integers(-3, 103), st.integers()),
)
def test_list_pages_out_of_range_are_refused_unsent(listing: str, page: int, page_size: int) -> None:
    """Pages run from 1 to 10**9 and hold 1-100 results; anything else is refused before a request."""
    hub = small_hub()

    def call(client: DockerHubClient) -> Awaitable[HubPage[Any]]:
        if listing == "list_repositories":
            return client.list_repositories("demo", page=page, page_size=page_size)
        return client.list_tags("demo", "web", page=page, page_size=page_size)

    outcome, _wire = attempt(hub, call)

    if 1 <= page <= 10**9 and 1 <= page_size <= 100:
        assert [{"page": str(page), "page_size": str(page_size)}] == [r.query for r in hub.api_requests()]
        assert isinstance(outcome, HubPage) or (isinstance(outcome, NotFoundError) and page > 1)
    else:
        assert isinstance(outcome, InvalidInputError)
        refused = page if not 1 <= page <= 10**9 else page_size
        assert str(refused) in str(outcome) if abs(refused) < 10**100 else "out of range" in str(outcome)
        assert [] == hub.requests


# 5. Globs in cleanup's keep rules.

TAG_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
GLOBS = st.one_of(
    st.text(max_size=10),
    st.text(alphabet="av1.-_*?[]!^\\", max_size=10),
    st.sampled_from(["[", "]", "[]", "[]]", "[!]", "[!]]", "[z-a]", "[a-", "[[:alpha:]]", "(a|b)", ".*", "a{1,2}"]),
    st.sampled_from(["*" * 129, "*" * 128, "v[0-9]*", "*-rc?", "latest", "LATEST", "\\d+", "[!v]*"]),
)
TAGS = st.lists(st.one_of(st.from_regex(TAG_RULE, fullmatch=True), st.sampled_from(["latest", "v1", "v1.2", "a"])))


def glob_refusal(pattern: str) -> InvalidInputError | None:
    """The error check_glob refuses `pattern` with, or None when it accepts it."""
    try:
        check_glob(pattern)
    except InvalidInputError as exc:
        return exc
    return None


@settings(PROPERTY, max_examples=300)
@given(pattern=GLOBS, tags=TAGS)
def test_a_keep_glob_is_refused_or_matches_like_fnmatchcase(pattern: str, tags: list[str]) -> None:
    """check_glob refuses non-tag characters with the pattern named; accepted globs match like fnmatchcase."""
    refused = glob_refusal(pattern)

    if refused is not None:
        assert repr(pattern) in str(refused)
        return
    assert pattern and set(pattern) <= TAG_CHARS | set("*?[]!")
    assert [fnmatchcase(tag, pattern) for tag in tags] == [is_protected(tag, [pattern]) for tag in tags]


@settings(PROPERTY, max_examples=80)
@given(pattern=GLOBS, tags=st.lists(st.from_regex(TAG_RULE, fullmatch=True), unique=True, max_size=6))
def test_a_cleanup_plan_keeps_exactly_the_tags_its_glob_matches(pattern: str, tags: list[str]) -> None:
    """plan_cleanup refuses a bad glob unread, or keeps as protected exactly the fnmatchcase matches."""
    hub = build_sandbox(demo=False, clock=fixed_clock())
    hub.state.add_repository("demo", "web")
    for tag in tags:
        hub.state.add_tag("demo", "web", tag, pushed_at=hub.clock.now() - 30 * DAY)
    rules = CleanupRules(older_than_days=1, keep=[pattern])

    outcome, _wire = attempt(
        hub, lambda client: plan_cleanup(client, "demo", rules, repositories=["web"], allow_protected=True)
    )

    if isinstance(outcome, InvalidInputError):
        assert repr(pattern) in str(outcome)
        assert [] == hub.requests
        return
    assert isinstance(outcome, CleanupPlan)
    kept = sorted(tag for tag in tags if fnmatchcase(tag, pattern))
    assert [(kept, sorted(set(tags) - set(kept)))] == [
        (sorted(k.tag for k in r.kept if k.reason == "protected"), [t.tag for t in r.delete])
        for r in outcome.repositories
    ]


# 6. Find/replace in bulk descriptions.

FIND_ALPHABET = "ab.*+?[](){}|^$\\ \u00e9\n"


def literal_replace(text: str, find: str, replace: str) -> str:
    """The documented semantics: the leftmost non-overlapping occurrences of `find` replaced, except, when
    `replace` contains `find`, those touching an occurrence of `replace` already in the text."""
    if find not in replace:
        return text.replace(find, replace)
    earlier = {i + k for i in range(len(text)) if text.startswith(replace, i) for k in range(len(replace))}
    pieces: list[str] = []
    last = 0
    for m in re.finditer(re.escape(find), text):
        if earlier.isdisjoint(range(m.start(), m.end())):
            pieces += [text[last : m.start()], replace]
            last = m.end()
    return "".join([*pieces, text[last:]])


def dry_run(description: str, find: str, replace: str) -> tuple[object, Sandbox]:
    """A dry run of bulk_descriptions over one repository, `demo/site`, with `description`."""
    hub = build_sandbox(demo=False, clock=fixed_clock())
    hub.state.add_repository("demo", "site", description=description)
    outcome, _wire = attempt(
        hub, lambda client: bulk_descriptions(client, "demo", find=find, replace=replace, dry_run=True)
    )
    return outcome, hub


def check_report(outcome: object, hub: Sandbox, description: str, expected: str) -> None:
    """The dry run reports `expected` as the new text (or refuses it over 100 bytes) and writes nothing."""
    assert [] == [r for r in hub.api_requests() if r.method != "GET"]
    note("unchanged" if expected == description else "over 100" if len(expected) > 100 else "would_change")
    if expected != description and len(expected) > 100:
        assert isinstance(outcome, InvalidInputError)
        assert "Nothing written" in str(outcome)
        return
    assert isinstance(outcome, DescriptionReport)
    status = "unchanged" if expected == description else "would_change"
    new = None if expected == description else expected
    old = None if expected == description else description
    assert [("site", status, old, new)] == [
        (r.repository, r.status, r.description_old, r.description_new) for r in outcome.repositories
    ]


@settings(PROPERTY, max_examples=120)
@given(
    find=st.text(alphabet=FIND_ALPHABET, min_size=1, max_size=5),
    replace=st.text(alphabet=FIND_ALPHABET, max_size=8),
    pieces=st.lists(st.one_of(st.text(alphabet=FIND_ALPHABET, max_size=6), st.just("z" * 90)), max_size=20),
    use=st.lists(st.integers(0, 2), max_size=20),
)
def test_find_and_replace_is_literal_plain_str_replace(
    find: str, replace: str, pieces: list[str], use: list[int]
) -> None:
    """When `replace` does not contain `find`, the new text is str.replace: regex metacharacters are literal."""
    if find in replace:
        replace = replace.replace(find, "")  # still arbitrary, and now without `find` in it
    if find in replace:
        replace = ""
    description = "".join([find, replace, piece][u] for piece, u in zip(pieces, use + [2] * len(pieces), strict=False))

    outcome, hub = dry_run(description, find, replace)

    check_report(outcome, hub, description, literal_replace(description, find, replace))


@settings(PROPERTY, max_examples=120)
@given(
    find=st.text(alphabet=FIND_ALPHABET, min_size=1, max_size=4),
    affixes=st.tuples(st.text(alphabet=FIND_ALPHABET, max_size=3), st.text(alphabet=FIND_ALPHABET, max_size=3)),
    tokens=st.lists(st.sampled_from(["find", "replace", "other"]), max_size=40),
    other=st.one_of(st.text(alphabet="xyz", max_size=4), st.just("z" * 90)),
)
def test_find_and_replace_leaves_earlier_replacements_alone(
    find: str, affixes: tuple[str, str], tokens: list[str], other: str
) -> None:
    """When `replace` contains `find`, occurrences inside an earlier replacement stay; the others are replaced."""
    replace = affixes[0] + find + affixes[1]
    # Words apart (`~` is in neither string), so no occurrence straddles two words and the oracle is unambiguous.
    description = "~".join({"find": find, "replace": replace, "other": other}[t] for t in tokens)

    outcome, hub = dry_run(description, find, replace)

    check_report(outcome, hub, description, literal_replace(description, find, replace))


# Bugs found by these properties (strict: each turns into a failure once fixed, so the mark gets removed).


def test_hub_request_refuses_to_delete_a_protected_tag_without_a_request() -> None:
    """A raw DELETE of a tag matching the protected patterns is refused like delete_tag's, nothing sent."""
    hub = small_hub()

    outcome, _wire = attempt(
        hub, lambda client: client.raw("DELETE", "/v2/namespaces/demo/repositories/web/tags/latest")
    )

    assert isinstance(outcome, PermissionDeniedError)
    assert [] == hub.requests
    assert hub.state.tag("demo", "web", "latest") is not None


@pytest.mark.parametrize("value", [" 7", "7\n", "1_0", "+5", "\u0667", True, "7.0"], ids=repr)
def test_raw_paging_values_that_are_not_plain_whole_numbers_are_refused(value: str | int) -> None:
    """A page_size Hub could read otherwise than it was checked is refused, with nothing sent."""
    hub = small_hub()

    outcome, _wire = attempt(
        hub, lambda client: client.raw("GET", "/v2/namespaces/demo/repositories", query={"page_size": value})
    )

    assert isinstance(outcome, InvalidInputError)
    assert [] == hub.requests


@pytest.mark.parametrize("value", ["7", 7], ids=repr)
def test_raw_paging_values_go_on_the_wire_as_the_number_that_was_checked(value: str | int) -> None:
    """A page_size given as text or number is sent as that number."""
    hub = small_hub()

    attempt(hub, lambda client: client.raw("GET", "/v2/namespaces/demo/repositories", query={"page_size": value}))

    assert [{"page_size": "7"}] == [r.query for r in hub.api_requests()]


@pytest.mark.parametrize(
    "call",
    [
        lambda client: client.list_repositories("demo", page=10**5000),
        lambda client: client.list_tags("demo", "web", page=-(10**5000)),
        lambda client: client.raw("GET", "/v2/namespaces/demo/repositories", query={"page_size": 10**5000}),
    ],
    ids=["huge-page", "huge-negative-page", "huge-raw-page-size"],
)
def test_integers_too_long_to_print_are_refused_not_crashed(call: Callable[[DockerHubClient], Awaitable[Any]]) -> None:
    """A page number of 5,000 digits is refused with InvalidInputError, not a ValueError, and nothing is sent."""
    hub = small_hub()

    outcome, _wire = attempt(hub, call)

    assert isinstance(outcome, InvalidInputError)
    assert [] == hub.requests


def test_find_and_replace_never_rearranges_text_it_does_not_replace() -> None:
    """'--' -> '-- ' over '--- ' (an earlier replacement after a '-') leaves the text as it is."""
    outcome, hub = dry_run("--- ", "--", "-- ")

    check_report(outcome, hub, "--- ", "--- ")


def test_a_second_find_and_replace_run_changes_nothing() -> None:
    """After applying 'ab' -> 'bab', a dry run of the same replacement finds nothing to change."""
    hub = build_sandbox(demo=False, clock=fixed_clock())
    hub.state.add_repository("demo", "site", description="baab")

    async def twice(client: DockerHubClient) -> DescriptionReport:
        await bulk_descriptions(client, "demo", find="ab", replace="bab", dry_run=False)
        return await bulk_descriptions(client, "demo", find="ab", replace="bab", dry_run=True)

    outcome, _wire = attempt(hub, twice)

    assert isinstance(outcome, DescriptionReport)
    assert [("site", "unchanged")] == [(r.repository, r.status) for r in outcome.repositories]
