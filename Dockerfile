# The worker image: `docker build -t kimbernetes .`, then
# `docker run kimbernetes --pool source-controller --temporal-address temporal:7233`.
# It takes every flag and variable of `npm run worker` (README, "Running worker pools
# separately"); docker-compose.yml and deploy/ run one container per pool.

# kustomize, sops and helm (HelmChart packages, HelmRelease actions), built from Go modules by the same script and with the same pinned
# versions (tools/versions.env) as the development tools. sops needs Go 1.25.8 or newer.
FROM golang:1.26-bookworm AS tools
WORKDIR /src
COPY tools/build-tools.sh tools/versions.env tools/
RUN KIMBERNETES_TOOLS_DIR=/opt/kimbernetes/tools bash tools/build-tools.sh kustomize sops helm \
 && rm -rf /opt/kimbernetes/tools/logs

# Production dependencies and the worker's sources, compiled by `npm run build`'s script
# into dist/ with the workflow bundle, so that a worker starts from JavaScript without
# bundling (Temporal's advice for production).
FROM node:20-bookworm-slim AS app
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY activities activities/
COPY apply apply/
COPY artifacts artifacts/
COPY common common/
COPY domain domain/
COPY git git/
COPY helm helm/
COPY kube kube/
COPY kustomize kustomize/
COPY notification notification/
COPY oci oci/
COPY schemas schemas/
COPY temporal temporal/
COPY tools/build.mjs tools/paths.ts tools/versions.env tools/
COPY workers workers/
COPY workflows workflows/
RUN node tools/build.mjs

FROM node:20-bookworm-slim
# git and ssh for GitRepository fetches, CA certificates for HTTPS remotes, gpg and its
# agent for the PGP keys of SOPS decryption Secrets and for GitRepository signatures,
# and tini as PID 1 so that the git, ssh and gpg-agent processes a fetch or a decryption
# leaves behind are reaped.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates gpg gpg-agent tini \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --gid 65532 kimbernetes \
 && useradd --uid 65532 --gid 65532 --home-dir /home/kimbernetes --create-home --shell /usr/sbin/nologin kimbernetes \
 && mkdir /data && chown 65532:65532 /data
COPY --from=tools /opt/kimbernetes/tools /opt/kimbernetes/tools
COPY --from=app /app /app
WORKDIR /app
# tools/paths.ts finds kustomize, sops and helm under KIMBERNETES_TOOLS_DIR by the versions in
# tools/versions.env, the file the tools stage built them from. The artifact server of
# the source-controller pool, and the notification-controller's webhook receiver, listen
# on every interface, so other containers reach them.
ENV KIMBERNETES_TOOLS_DIR=/opt/kimbernetes/tools \
    MALLOC_ARENA_MAX=2 \
    KIMBERNETES_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js \
    KIMBERNETES_STORAGE_PATH=/data \
    KIMBERNETES_STORAGE_ADDR=0.0.0.0:9090 \
    KIMBERNETES_RECEIVER_ADDR=0.0.0.0:9292
EXPOSE 9090 9292
USER 65532:65532
# V8 favouring memory over speed: at N=100 Kustomizations the worker peaked at 272 MiB
# instead of 447 MiB, for about 30% more CPU (docs/development.md, Benchmark).
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--optimize-for-size", "/app/dist/workers/main.js"]
