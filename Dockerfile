# One image for every service; the command picks which:
#   npm run start:gateway | start:message | start:channel | migrate
# Services run TypeScript through tsx (a runtime dependency), so there is no compile step.

# Only the package manifests, so `npm ci` layers stay cached until dependencies change.
FROM node:20-bookworm-slim AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json -delete \
 && find . -type d -empty -delete

# Generates the Prisma client (git-ignored) with the dev tools the runtime stage lacks.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY --from=manifests /src ./
# Dependencies' install scripts are not needed (pure-JS Prisma through @prisma/adapter-pg,
# esbuild from its platform package); ours, `generate`, runs below once the sources are in.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run generate

FROM node:20-bookworm-slim AS runtime
# npm forwards SIGTERM to the shell it runs a script in; dash dies of it and leaves the
# service running until SIGKILL, while bash execs the single command and so passes the
# signal on, and the service drains before it exits.
ENV NODE_ENV=production \
    NPM_CONFIG_SCRIPT_SHELL=/bin/bash \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false
WORKDIR /app
COPY --from=manifests /src ./
# --ignore-scripts: postinstall would run `generate`, which needs the dev dependencies.
RUN npm ci --omit=dev --ignore-scripts --no-audit \
 && npm cache clean --force
COPY . .
# The codegen output is checked in (and checked in CI); only the Prisma client is not.
COPY --from=build /app/shared/src/generated ./shared/src/generated
USER node
EXPOSE 4000 8001 8002 8003 8004
CMD ["npm", "run", "start:gateway"]
