# One image for every process of the bakery supergraph; docker-compose.yml and the Kubernetes
# manifests pick the entry (node dist/<process>/main.js).
#
# build:   every dependency, then `npm run build` (tsc, the schema files, the playground bundle).
# runtime: production dependencies and the compiled output only, run by plain node as a non-root
#          user. No TypeScript, tsx or esbuild at run time.
FROM node:24-bookworm-slim AS build
WORKDIR /app
# patches/: fixes to dependencies, applied by the postinstall script (patch-package) of npm ci.
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY lib ./lib
COPY gateway ./gateway
COPY subgraphs ./subgraphs
COPY workers ./workers
COPY scripts ./scripts
RUN npm run build

FROM node:24-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
# The node-* packages carry the Node binary that npm scripts use on development machines; the
# image runs its own Node, so they go.
RUN npm ci --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/node-linux-* node_modules/node-win-* node_modules/.bin/node \
  && npm cache clean --force

FROM node:24-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0
# package.json says "type": "module", which the compiled ES modules need.
COPY package.json ./
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 4000
CMD ["node", "dist/gateway/src/main.js"]
