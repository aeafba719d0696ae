# syntax=docker/dockerfile:1.7
# The autoresearch controller: `autoresearch serve`.
# Build from the repository root:
#   docker build -f deploy/docker/controller.Dockerfile -t REGISTRY/autoresearch/controller:TAG .

# --- build: compile TypeScript to dist/ -------------------------------------------------------------
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` runs the build, which needs the sources copied below.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY services ./services
COPY schemas ./schemas
COPY bin ./bin
RUN npm run build

# --- runtime: production dependencies and the compiled app only -----------------------------------
FROM node:20-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would try to rebuild without the dev dependencies.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
# The dashboard's built files (npm run build bundles them into services/dashboard/dist), served at /.
COPY --from=build /app/services/dashboard/dist ./services/dashboard/dist
COPY bin ./bin
COPY schemas ./schemas
# The SQL migrations are read at start from the source tree (tsc does not copy .sql files).
COPY services/controller/src/store/migrations ./services/controller/src/store/migrations
# node:20-slim ships the non-root user `node` with uid/gid 1000 (the manifests run as 1000:1000).
USER 1000:1000
EXPOSE 8420
ENTRYPOINT ["node", "bin/autoresearch.js", "serve"]
CMD ["--host", "0.0.0.0", "--port", "8420"]
