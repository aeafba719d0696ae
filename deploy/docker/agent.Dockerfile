# syntax=docker/dockerfile:1.7
# The autoresearch agent: one container per run (a Kubernetes Job), running the study's command
# (e.g. a karpathy-style `uv run train.py` / `python train.py`) on a GPU under its time budget.
# Build from the repository root:
#   docker build -f deploy/docker/agent.Dockerfile -t REGISTRY/autoresearch/agent:TAG .
# Studies name this image (or one built FROM it with their own Python packages) in their spec.

# --- build: compile TypeScript to dist/ -------------------------------------------------------------
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY services ./services
COPY schemas ./schemas
COPY bin ./bin
RUN npm run build \
 && npm ci --omit=dev --ignore-scripts

# --- runtime: CUDA + PyTorch, with Node 20 from the official tarball -------------------------------
FROM pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime AS runtime
ARG NODE_VERSION=20.18.1
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl xz-utils git \
 && ARCH="$(dpkg --print-architecture)" \
 && case "$ARCH" in amd64) NODE_ARCH=x64 ;; arm64) NODE_ARCH=arm64 ;; *) echo "unsupported arch $ARCH" >&2; exit 1 ;; esac \
 && curl -fsSLO "https://nodejs.org/dist/v${NODE_VERSION}/node-v${NODE_VERSION}-linux-${NODE_ARCH}.tar.xz" \
 && curl -fsSL "https://nodejs.org/dist/v${NODE_VERSION}/SHASUMS256.txt" | grep " node-v${NODE_VERSION}-linux-${NODE_ARCH}.tar.xz\$" | sha256sum -c - \
 && tar -xJf "node-v${NODE_VERSION}-linux-${NODE_ARCH}.tar.xz" -C /usr/local --strip-components=1 --no-same-owner \
 && rm "node-v${NODE_VERSION}-linux-${NODE_ARCH}.tar.xz" \
 && apt-get purge -y xz-utils && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* \
 && node --version
# Common extras of karpathy-style training scripts; extend this image for anything else.
RUN pip install --no-cache-dir numpy tiktoken requests
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/schemas ./schemas
# The Kubernetes executor's Jobs run `autoresearch agent --run-id … --controller-url … --transport nats …`
# as the container command (which replaces the ENTRYPOINT below): `autoresearch` must be on PATH.
# A non-root user 1000 owning the run's work directory.
RUN chmod 0755 /app/bin/autoresearch.js \
 && ln -s /app/bin/autoresearch.js /usr/local/bin/autoresearch \
 && (getent group 1000 || groupadd --gid 1000 agent) \
 && (getent passwd 1000 || useradd --uid 1000 --gid 1000 --create-home --shell /bin/bash agent) \
 && mkdir -p /work && chown 1000:1000 /work
ENV NODE_ENV=production HOME=/work PYTHONUNBUFFERED=1
USER 1000:1000
WORKDIR /work
# For running the image by hand; Kubernetes Jobs set their own command (see above).
ENTRYPOINT ["node", "/app/bin/autoresearch.js", "agent"]
