"""The async Docker Hub client: typed methods, one module per family of calls.

Requests go through `session.HubSession.send`, which gates them on the operation table, validates and
encodes paths, paces, retries and maps failures; here are the shapes of each call and of paging.
"""

from dockerhub_mcp.client.base import MAX_PAGE_SIZE
from dockerhub_mcp.client.organizations import MEMBER_ROLES, OrganizationCalls
from dockerhub_mcp.client.repositories import RawAnswer, RepositoryCalls, not_stored

__all__ = ["MAX_PAGE_SIZE", "MEMBER_ROLES", "DockerHubClient", "RawAnswer", "not_stored"]


class DockerHubClient(RepositoryCalls, OrganizationCalls):
    """An authenticated Docker Hub API client: every family of calls over one `HubSession`."""
