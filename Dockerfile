# syntax=docker/dockerfile:1
# Build on the current Node LTS; run as the unprivileged `node` user with production deps only.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json tsconfig.client.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build && npm prune --omit=dev

# The SIP edge (docker-compose's sip-edge, README "SIP trunk"): Debian bookworm's Kamailio 5.6 on
# sip/kamailio.cfg, started by the compiled launcher, which needs only Node's own modules.
# `docker build --target sip-edge .`; the service stays the default (last) stage.
FROM node:24-bookworm-slim AS sip-edge
RUN apt-get update \
  && apt-get install -y --no-install-recommends kamailio kamailio-utils-modules kamailio-tls-modules \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production SIP_LISTEN=0.0.0.0:5060
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/dist/scripts/sip-edge.js ./dist/scripts/
COPY --from=build --chown=node:node /app/dist/scripts/sip-edge ./dist/scripts/sip-edge
COPY --chown=node:node sip ./sip
USER node
EXPOSE 5060/udp 5060/tcp
# SIGTERM reaches the launcher, which stops Kamailio and exits with it.
STOPSIGNAL SIGTERM
CMD ["node", "dist/scripts/sip-edge.js"]

FROM node:24-slim AS runtime
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node webhooks ./webhooks
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM reaches node directly (exec form): held calls are answered before it exits.
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
