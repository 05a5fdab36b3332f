# One image for every process of the bakery supergraph; docker-compose.yml picks the entry.
# TypeScript runs through tsx (esbuild), so the image holds the sources as they are in the repo.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY lib ./lib
COPY subgraphs ./subgraphs
COPY gateway ./gateway
COPY workers ./workers
USER node
EXPOSE 4000
CMD ["node", "--import", "tsx", "gateway/src/main.ts"]
