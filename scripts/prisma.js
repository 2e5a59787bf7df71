#!/usr/bin/env node
// Runs the Prisma CLI. The CLI downloads a schema-engine binary at start and fails
// without internet; `generate` and `migrate diff` never use it, so on an offline
// machine we point PRISMA_SCHEMA_ENGINE_BINARY at any existing file. A machine whose
// environment already sets the variable (or has internet and sets it empty) is unaffected.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const env = { ...process.env };
if (env.PRISMA_SCHEMA_ENGINE_BINARY === undefined) env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
if (env.PRISMA_HIDE_UPDATE_MESSAGE === undefined) env.PRISMA_HIDE_UPDATE_MESSAGE = '1';

const cli = require.resolve('prisma/build/index.js', { paths: [path.join(__dirname, '..')] });
const result = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
