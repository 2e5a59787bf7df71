#!/usr/bin/env bash
# Regenerates every checked-in generated file and fails if that changed anything, i.e. if
# someone edited a schema and committed stale output. CI runs it after `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."

# What `npm run compose` and `npx graphql-codegen --config codegen.ts` write.
GENERATED=(':(glob)subgraphs/*/src/__generated__/**' 'gateway/supergraph.graphql' 'web/schema.graphql' ':(glob)web/src/gql/**')

# Compose first: the web client's types are generated from the supergraph's API schema.
# A composition error fails here, before the staleness check.
npm run compose
npx graphql-codegen --config codegen.ts

stale="$(git status --porcelain --untracked-files=all -- "${GENERATED[@]}")"
if [[ -n "$stale" ]]; then
  {
    echo
    echo "ERROR: generated files are stale: regenerating them changed these files:"
    echo "$stale"
    echo
    git --no-pager diff --stat -- "${GENERATED[@]}" || true
    echo
    echo "Run 'npm run compose && npm run codegen' and commit the result."
  } >&2
  exit 1
fi
echo "Generated files are up to date."
