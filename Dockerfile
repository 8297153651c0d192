# syntax=docker/dockerfile:1
# vmwarden — build and run on node:20-slim (glibc: GNU df/coreutils behave as on the host).
# NODE_IMAGE: the base of both stages. Leave it alone; the test suite (tests/integration/
# image.test.ts), which cannot pull images, passes a stand-in built from Debian packages and
# this machine's Node (scripts/rig/rig.sh, decision 0023).
ARG NODE_IMAGE=node:20-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx vite build && npm prune --omit=dev

FROM ${NODE_IMAGE} AS run
# MALLOC_ARENA_MAX: one malloc arena for every thread, ~6 MiB less RSS (server.js MALLOC_ENV)
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=1 \
    VMW_PORT=4004 \
    VMW_HOST=0.0.0.0 \
    VMW_DATA_DIR=/app/data \
    VMW_DATABASE_URL=file:/app/data/vmwarden.db \
    VMW_PROC_ROOT=/host/proc \
    VMW_ROOTFS=/host/rootfs \
    VMW_SCRIPTS_DIR=/scripts \
    VMW_LOG_DIR=/host/log
WORKDIR /app
COPY --from=build --chown=node:node /app/build ./build
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/drizzle ./drizzle
COPY --from=build --chown=node:node /app/package.json /app/server.js ./
RUN mkdir -p /app/data && chown node:node /app/data
# Non-root. The Docker socket is reached through the host's docker group, added at run time
# (docker-compose.yml: group_add with DOCKER_GID).
USER node
VOLUME ["/app/data"]
EXPOSE 4004
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.VMW_PORT||4004)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "server.js"]
