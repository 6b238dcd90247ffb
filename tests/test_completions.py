"""Completion (`completion/complete`) of namespaces, repositories and plan ids for the prompts and resource
templates: values from Hub, cached for a minute of the client's clock, one Hub request per burst of keystrokes,
and an empty completion when Hub fails."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import anyio
import pytest
from mcp import Client
from mcp.types import Completion, PromptReference, ResourceTemplateReference

from dockerhub_mcp.cache import FlightCache
from dockerhub_mcp.sandbox import SANDBOX_OAT, Fault, Sandbox
from helpers import read_json, structured

pytestmark = pytest.mark.anyio

Connect = Callable[..., AbstractAsyncContextManager[Client]]
OAT = {"username": "acme", "token": SANDBOX_OAT, "token_kind": "oat"}
TICKET = PromptReference(name="ticket_summary")
NAMESPACE = ResourceTemplateReference(uri="dockerhub://namespaces/{namespace}")
REPOSITORY = ResourceTemplateReference(uri="dockerhub://namespaces/{namespace}/repositories/{repository}")
LISTING = "/v2/namespaces/demo/repositories"


async def complete(
    client: Client,
    ref: PromptReference | ResourceTemplateReference,
    name: str,
    value: str,
    context: dict[str, str] | None = None,
) -> Completion:
    """Complete argument `name` from `value`."""
    return (await client.complete(ref, {"name": name, "value": value}, context)).completion


def listings(sandbox: Sandbox, namespace: str = "demo") -> int:
    """How many times the repository list of `namespace` was requested."""
    return len(sandbox.api_requests("GET", f"/v2/namespaces/{namespace}/repositories"))


async def test_the_server_declares_the_completions_capability(client: Client) -> None:
    """Hosts only ask a server that declares `completions`."""
    assert client.server_capabilities.completions is not None


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_namespaces_are_the_account_and_its_organizations(connect: Connect, mode: str) -> None:
    """With a personal token: the user's own namespace, then its organizations, in both protocol eras."""
    async with connect(mode=mode) as c:
        completion = await complete(c, TICKET, "namespace", "")

    assert Completion(values=["demo", "acme"], total=2, has_more=False) == completion


async def test_namespaces_complete_by_prefix_from_one_listing(client: Client, sandbox: Sandbox) -> None:
    """The namespace list is asked for once and filtered by prefix (case-insensitively) for every keystroke."""
    found = [await complete(client, NAMESPACE, "namespace", v) for v in ("a", "A", "d", "x")]

    assert [["acme"], ["acme"], ["demo"], []] == [c.values for c in found]
    assert 1 == len(sandbox.api_requests("GET", "/v2/user/orgs"))


async def test_an_organization_token_completes_its_organization_without_asking_hub(
    connect: Connect, sandbox: Sandbox
) -> None:
    """An organization access token acts in its organization only: that is the one namespace, known locally."""
    async with connect(**OAT) as c:
        completion = await complete(c, TICKET, "namespace", "")

    assert Completion(values=["acme"], total=1, has_more=False) == completion
    assert [] == sandbox.api_requests()


async def test_repositories_complete_by_prefix_in_the_default_namespace(client: Client) -> None:
    """Without a namespace in the context, the connected account's repositories, sorted, by prefix."""
    everything = await complete(client, TICKET, "repository", "")
    some = await complete(client, TICKET, "repository", "w")

    assert (
        Completion(values=["api", "docs", "empty", "legacy-app", "web", "worker"], total=6, has_more=False)
        == everything
    )
    assert Completion(values=["web", "worker"], total=2, has_more=False) == some


async def test_repositories_complete_in_the_namespace_already_given(client: Client) -> None:
    """The namespace resolved earlier in the prompt or template picks whose repositories are offered."""
    completion = await complete(client, TICKET, "repository", "", {"namespace": "acme"})

    assert ["platform", "tools"] == completion.values


async def test_a_burst_of_concurrent_keystrokes_sends_one_request(client: Client, sandbox: Sandbox) -> None:
    """'w', 'we' and 'web' asked at once share the one listing for 'w': a single Hub request."""
    found: dict[str, list[str]] = {}

    async def ask(value: str) -> None:
        found[value] = (await complete(client, TICKET, "repository", value)).values

    async with anyio.create_task_group() as tg:
        for value in ("w", "we", "web"):
            tg.start_soon(ask, value)

    assert {"w": ["web", "worker"], "we": ["web"], "web": ["web"]} == found
    assert 1 == listings(sandbox)


async def test_a_burst_of_keystrokes_in_sequence_sends_one_request(client: Client, sandbox: Sandbox) -> None:
    """A longer prefix is answered from the complete listing of a shorter one, and a repeat from the cache."""
    found = [(await complete(client, TICKET, "repository", v)).values for v in ("w", "we", "web", "we", "w")]

    assert [["web", "worker"], ["web"], ["web"], ["web"], ["web", "worker"]] == found
    assert 1 == listings(sandbox)
    ((request,),) = [[r for r in sandbox.api_requests() if r.path == LISTING]]
    assert {"page": "1", "page_size": "100", "name": "w", "ordering": "name"} == request.query


async def test_a_listing_cut_short_answers_its_burst_and_a_pause_asks_again(client: Client, sandbox: Sandbox) -> None:
    """With more matches than one page, the completion has at most 100 values and `hasMore` without a total; the
    keystrokes of the same burst are answered from it (still `hasMore`), so the burst costs one request; after a
    pause the next keystroke asks Hub for its own prefix, whose complete listing then answers the ones after it."""
    for i in range(120):
        sandbox.state.add_repository("demo", f"wx-{i:03d}")

    cut = await complete(client, TICKET, "repository", "w")
    sandbox.clock.advance(0.5)
    in_burst = await complete(client, TICKET, "repository", "we")
    during = listings(sandbox)
    sandbox.clock.advance(1.5)
    after_pause = await complete(client, TICKET, "repository", "web")
    narrower = await complete(client, TICKET, "repository", "web")

    assert (100, None, True) == (len(cut.values), cut.total, cut.has_more)
    assert Completion(values=["web"], total=None, has_more=True) == in_burst
    assert 1 == during
    assert Completion(values=["web"], total=1, has_more=False) == after_pause == narrower
    assert 2 == listings(sandbox)


async def test_listings_expire_after_a_minute_of_the_clients_clock(client: Client, sandbox: Sandbox) -> None:
    """A listing answers for 60 seconds of the injected clock; after that, Hub is asked again."""
    await complete(client, TICKET, "repository", "web")
    sandbox.clock.advance(55)
    await complete(client, TICKET, "repository", "web")
    within = listings(sandbox)
    sandbox.clock.advance(6)
    after = await complete(client, TICKET, "repository", "web")

    assert (1, 2) == (within, listings(sandbox))
    assert ["web"] == after.values


@pytest.mark.parametrize(
    "fault",
    [
        Fault("status", status=500, times=None, path=r"/repositories$"),
        Fault("drop", times=None, path=r"/repositories$"),
        Fault("status", status=403, times=None, path=r"/repositories$"),
    ],
    ids=["500", "dropped", "403"],
)
async def test_a_hub_failure_is_an_empty_completion_not_a_broken_session(
    client: Client, sandbox: Sandbox, fault: Fault
) -> None:
    """When Hub fails, the completion is empty, the session goes on, and the failure is not retried on every
    keystroke: for 10 seconds the same namespace is not asked again."""
    sandbox.faults.add(fault)

    failed = await complete(client, TICKET, "repository", "w")
    sent = listings(sandbox)
    again = await complete(client, TICKET, "repository", "we")
    namespaces = await complete(client, TICKET, "namespace", "")

    assert Completion(values=[], total=0, has_more=False) == failed == again
    assert sent == listings(sandbox)
    assert ["demo", "acme"] == namespaces.values
    sandbox.faults.clear()
    sandbox.clock.advance(11)
    assert ["web"] == (await complete(client, TICKET, "repository", "we")).values


async def test_an_unknown_namespace_completes_nothing(client: Client) -> None:
    """A namespace Hub does not know (404) gives no repositories."""
    completion = await complete(client, TICKET, "repository", "", {"namespace": "nobody-here"})

    assert [] == completion.values


@pytest.mark.parametrize(
    ("argument", "value", "context"),
    [
        ("repository", "w/", None),
        ("repository", "web", {"namespace": "Not A Namespace"}),
        ("namespace", "a b", None),
    ],
)
async def test_impossible_names_complete_nothing_without_asking_hub(
    client: Client, sandbox: Sandbox, argument: str, value: str, context: dict[str, str] | None
) -> None:
    """A prefix or namespace no valid name could have matches nothing, and nothing is sent."""
    completion = await complete(client, TICKET, argument, value, context)

    assert [] == completion.values
    assert [] == sandbox.api_requests()


async def test_other_arguments_and_references_complete_nothing(client: Client, sandbox: Sandbox) -> None:
    """Only namespace, repository and plan_id are completed, and only for this server's templates."""
    found = [
        await complete(client, TICKET, "hours", "2"),
        await complete(client, ResourceTemplateReference(uri="other://{namespace}"), "namespace", ""),
    ]

    assert [[], []] == [c.values for c in found]
    assert [] == sandbox.api_requests()


async def test_resource_templates_complete_namespaces_and_repositories(client: Client) -> None:
    """The namespace and repository templates complete like the prompts do."""
    namespace = await complete(client, NAMESPACE, "namespace", "de")
    repository = await complete(client, REPOSITORY, "repository", "p", {"namespace": "acme"})

    assert (["demo"], ["platform"]) == (namespace.values, repository.values)


async def test_plan_templates_complete_plan_ids_and_the_plans_repositories(client: Client) -> None:
    """The plan templates offer the plans this server made and, for a plan, the repositories it covers."""
    plan = structured(await client.call_tool("plan_tag_cleanup", {"older_than_days": 30}))
    plan_id = plan["plan_id"]
    covered = [r["repository"] for r in (await read_json(client, plan["plan_uri"]))["repositories"]]

    ids = await complete(client, ResourceTemplateReference(uri="dockerhub://plans/{plan_id}"), "plan_id", plan_id[:4])
    outcomes = ResourceTemplateReference(uri="dockerhub://plans/{plan_id}/outcomes")
    no_match = await complete(client, outcomes, "plan_id", "zz")
    part = ResourceTemplateReference(uri="dockerhub://plans/{plan_id}/repositories/{repository}{?page}")
    repositories = await complete(client, part, "repository", "", {"plan_id": plan_id})
    unknown = await complete(client, part, "repository", "", {"plan_id": "0" * 64})

    assert covered
    assert Completion(values=[plan_id], total=1, has_more=False) == ids
    assert [] == no_match.values
    assert Completion(values=covered, total=len(covered), has_more=False) == repositories
    assert [] == unknown.values


async def test_an_expired_plan_is_not_offered(client: Client, sandbox: Sandbox) -> None:
    """Once a plan has expired (24 h by default) its id is no longer offered: reading it would be refused."""
    plan_id = structured(await client.call_tool("plan_tag_cleanup", {"older_than_days": 30}))["plan_id"]
    plans = ResourceTemplateReference(uri="dockerhub://plans/{plan_id}")
    sandbox.clock.advance(24 * 3600 - 1)
    before = await complete(client, plans, "plan_id", "")
    sandbox.clock.advance(1)
    after = await complete(client, plans, "plan_id", "")

    assert ([plan_id], []) == (before.values, after.values)


async def test_a_cancelled_caller_does_not_fail_the_others_sharing_its_load() -> None:
    """The caller that started a load may be cancelled (hosts drop stale completions); those waiting on the
    same key still get its value, and it is cached."""
    cache: FlightCache[str, str] = FlightCache()
    started, release = anyio.Event(), anyio.Event()
    loads: list[str] = []
    got: list[str | None] = []

    async def load() -> str:
        loads.append("web")
        started.set()
        await release.wait()
        return "web"

    async def follow() -> None:
        got.append(await cache.get("w", load, lambda: 0.0))

    leader = anyio.CancelScope()

    async def lead() -> None:
        with leader:
            await cache.get("w", load, lambda: 0.0)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(lead)
            await started.wait()
            tg.start_soon(follow)
            await anyio.wait_all_tasks_blocked()
            leader.cancel()
            release.set()
    cached = await cache.get("w", load, lambda: 1.0)

    assert (["web"], ["web"], "web") == (loads, got, cached)
