# syntax=docker/dockerfile:1
# Tollgate's image: Node.js 24 on Debian slim, production dependencies only, run as a non-root user with a
# read-only root filesystem in mind (everything the node writes goes under TOLLGATE_PREFIX).

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# The `node` package brings the Node.js 24 binary that bin/tollgate runs on; dev dependencies stay out.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY src ./src
# Tests sit beside the code; they are not needed at run time.
RUN find src -name '*.test.ts' -delete

FROM debian:bookworm-slim
# openssl makes the node's default TLS certificate; ca-certificates verifies upstreams and PostgreSQL.
RUN apt-get update \
  && apt-get install -y --no-install-recommends openssl ca-certificates \
  && rm -rf /var/lib/apt/lists/* \
  && groupadd --gid 1000 tollgate \
  && useradd --uid 1000 --gid 1000 --no-create-home --shell /usr/sbin/nologin tollgate \
  && mkdir -p /tollgate/run \
  && chown tollgate:tollgate /tollgate/run
WORKDIR /app
COPY --from=build --chown=root:root /app /app
ENV TOLLGATE_PREFIX=/tollgate/run \
    TOLLGATE_PROXY_LISTEN="0.0.0.0:8000 reuseport backlog=16384, 0.0.0.0:8443 http2 ssl reuseport backlog=16384" \
    TOLLGATE_STATUS_LISTEN=0.0.0.0:8100
USER 1000:1000
EXPOSE 8000 8443 8001 8444 8005 8006 8100
ENTRYPOINT ["/app/bin/tollgate"]
CMD ["start"]
