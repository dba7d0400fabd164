#!/usr/bin/env bash
# Type-checks the infrastructure (sst.config.ts, stacks/) against the real SST and Pulumi types, without AWS.
# `sst install` regenerates .sst/platform (SST's component sources and the pinned @pulumi/aws typings) from the npm
# registry alone: the dependency check would otherwise fetch Pulumi and Bun binaries, and the CI stage needs no
# credentials because nothing is deployed.
set -euo pipefail

cd "$(dirname "$0")/.."

SST_SKIP_DEPENDENCY_CHECK=1 SST_NO_BUN=1 SST_TELEMETRY_DISABLED=1 npx sst install --stage ci
npx tsc -p tsconfig.infra.json
echo "check:infra: sst.config.ts and stacks/ type-check against SST $(cat .sst/platform/version)"
