#!/usr/bin/env bash
# Regenerate the MCP Apps views (dockerhub_mcp/ui/*.html, package data: installing the package needs no Node)
# and the browser tests' host page (tests/data/ui-host.html). Each is one self-contained HTML file.
#
#   bash ui/build.sh           npm ci, type-check, build, refuse network references, copy into place
#   bash ui/build.sh --check   the same, but compare with the committed files instead of copying (exit 1 if not equal)
set -euo pipefail
cd "$(dirname "$0")"
check=${1:-}

npm ci --no-audit --no-fund --loglevel=error
npx tsc -p .

declare -A target=(
  [cleanup-plan]=../dockerhub_mcp/ui/cleanup-plan.html
  [audit]=../dockerhub_mcp/ui/audit.html
  [harness]=../tests/data/ui-host.html
)
status=0
for view in cleanup-plan audit harness; do
  VIEW="$view" VITE_CONFIG_NATIVE_IGNORE_WARNING=true npx vite build --logLevel warn
  built="dist/$view/index.html"
  # Hosts apply a strict CSP: no external script or stylesheet, and no fetch, dynamic import or socket.
  if grep -qE '<script[^>]+src=|<link[^>]+href=|fetch\(|import\(|new WebSocket|new EventSource|sendBeacon|XMLHttpRequest' "$built"; then
    echo "build.sh: a network reference in $built" >&2
    exit 1
  fi
  if [ "$check" = "--check" ]; then
    if cmp -s "$built" "${target[$view]}"; then
      echo "up to date: ${target[$view]}"
    else
      echo "build.sh: ${target[$view]} differs from a fresh build; run bash ui/build.sh" >&2
      status=1
    fi
  else
    cp "$built" "${target[$view]}"
    printf '%s: %s bytes\n' "${target[$view]#../}" "$(wc -c <"$built")"
  fi
done
exit $status
