# syntax=docker/dockerfile:1
# dockerhub-mcp: stdio by default (docker run -i --rm -e DOCKERHUB_USERNAME -e DOCKERHUB_TOKEN <image>); the same
# DOCKERHUB_* variables as the package configure it, and DOCKERHUB_TOKEN_FILE reads a mounted secret.
# HTTP: add `--transport http --host 0.0.0.0` with DOCKERHUB_MCP_HTTP_KEY and DOCKERHUB_MCP_ALLOWED_HOSTS (README).
#
# tests/test_container.py lints this file with hadolint and runs the builder's RUN command and the ENTRYPOINT
# in a fresh venv, so the commands below refer to the venv only as "$VIRTUAL_ENV" and to sources relatively.

# Both stages use the same interpreter: the venv made in the builder is copied to the same path in the final one.
ARG PYTHON_IMAGE=python:3.12-slim

FROM ${PYTHON_IMAGE} AS builder
ENV VIRTUAL_ENV=/opt/venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY dockerhub_mcp ./dockerhub_mcp
# A non-editable install of this source into the venv; pip's cache lives in a build cache mount, not a layer.
RUN --mount=type=cache,target=/root/.cache/pip \
    python3 -m venv "$VIRTUAL_ENV" \
    && "$VIRTUAL_ENV/bin/pip" install . \
    && "$VIRTUAL_ENV/bin/dockerhub-mcp" --version

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="dockerhub-mcp" \
      org.opencontainers.image.description="MCP server for Docker Hub, with a built-in sandbox Hub." \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/dockerhub-mcp/dockerhub-mcp" \
      io.modelcontextprotocol.server.name="io.github.dockerhub-mcp/dockerhub-mcp"
ENV VIRTUAL_ENV=/opt/venv
ENV PATH="$VIRTUAL_ENV/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# A fixed, numeric UID and GID, so Kubernetes' runAsNonRoot can verify them (deploy/kubernetes.yaml uses 10001).
RUN groupadd --gid 10001 mcp \
    && useradd --uid 10001 --gid mcp --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin mcp
# Owned by root (no --chown): the user the server runs as cannot change its own code.
COPY --from=builder $VIRTUAL_ENV $VIRTUAL_ENV
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["dockerhub-mcp"]
