# atlas-gate: one image, three commands (README "Running in production").
#   API:     node dist/src/main.js                 (set WORKERS=off to serve the API only)
#   worker:  node dist/src/main.js --role=worker   (METRICS_PORT serves its /metrics and /health)
#   migrate: node dist/src/main.js --role=migrate  (one-shot: applies prisma/migrations, exits 0)

# Build: full install (tsc and the Prisma CLI are dev dependencies), generate the Prisma client,
# compile to dist/, then drop the dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the only one needed is `prisma generate`, run explicitly below with its schema.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY prisma.config.ts tsconfig.json tsconfig.build.json ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY src ./src
# prisma.config.ts lets `generate` run without downloading a schema engine.
RUN npx prisma generate && npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# The operator console (examples/console): a static Vite build, served by nginx (below). Its API URL
# is baked in at build time: VITE_API_URL (compose points it at api-1's host port).
FROM node:20-bookworm-slim AS console-build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY codegen.ts ./
COPY schema ./schema
COPY test/support/documents.ts ./test/support/documents.ts
COPY examples/console ./examples/console
ARG VITE_API_URL=http://localhost:4001/graphql
ENV VITE_API_URL=${VITE_API_URL}
RUN npx graphql-codegen --config codegen.ts && npx vite build examples/console --outDir /app/console-dist

FROM nginx:1.27-alpine AS console
COPY deploy/console-nginx.conf /etc/nginx/conf.d/default.conf
COPY --from=console-build /app/console-dist /usr/share/nginx/html

# Runtime: production dependencies and the compiled code only, as the unprivileged `node` user.
# (Last stage: a plain `docker build` builds the API/worker image.)
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# The console's trusted documents (TRUSTED_DOCUMENTS_FILE): with TRUSTED_DOCUMENTS_ONLY=on (compose
# sets it) the API runs only the documents this console build sends.
COPY --from=console-build --chown=root:root /app/examples/console/src/gql/persisted-documents.json ./trusted-documents.json
ENV TRUSTED_DOCUMENTS_FILE=/app/trusted-documents.json
USER node
EXPOSE 4000 9464
# Liveness on /health: the API's port, or METRICS_PORT for a worker (which serves no API).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.METRICS_PORT || process.env.PORT || 4000}/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains within SHUTDOWN_TIMEOUT_MS (default 25 s); give the container a little more (compose: stop_grace_period).
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
