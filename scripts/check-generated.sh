#!/usr/bin/env bash
# Regenerates every checked-in generated file and fails if that changed anything, i.e. if
# someone edited a schema and committed stale output. CI runs it after `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."

# What `npx graphql-codegen --config codegen.ts` and `npm run compose` write.
GENERATED=(':(glob)subgraphs/*/src/__generated__/**' 'gateway/supergraph.graphql')

npx graphql-codegen --config codegen.ts
# A composition error fails here, before the staleness check.
npm run compose

stale="$(git status --porcelain --untracked-files=all -- "${GENERATED[@]}")"
if [[ -n "$stale" ]]; then
  {
    echo
    echo "ERROR: generated files are stale: regenerating them changed these files:"
    echo "$stale"
    echo
    git --no-pager diff --stat -- "${GENERATED[@]}" || true
    echo
    echo "Run 'npm run codegen && npm run compose' and commit the result."
  } >&2
  exit 1
fi
echo "Generated files are up to date."
