#!/usr/bin/env bash
# Fill a directory with GraphiQL's browser files from the npm registry, for
# machines that cannot reach the CDN:
#   scripts/graphiql-assets.sh ./graphiql-assets
#   GRAPHIQL_ASSETS_DIR=./graphiql-assets cargo run
set -euo pipefail
dest="${1:?usage: scripts/graphiql-assets.sh DIR}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest"
(cd "$work" && npm pack --silent graphiql@3.8.3 react@18.3.1 react-dom@18.3.1 >/dev/null)
for tgz in "$work"/*.tgz; do tar -xzf "$tgz" -C "$work" && mv "$work/package" "$work/$(basename "$tgz" .tgz)"; done
cp "$work/graphiql-3.8.3/graphiql.min.css" "$work/graphiql-3.8.3/graphiql.min.js" "$dest/"
cp "$work/react-18.3.1/umd/react.production.min.js" "$dest/"
cp "$work/react-dom-18.3.1/umd/react-dom.production.min.js" "$dest/"
echo "GraphiQL assets in $dest: set GRAPHIQL_ASSETS_DIR=$dest"
