# One image for both processes: `node build/index.js` (web) or
# the sync-server with `npm run start:sync`'s flags (see docker-compose.yml).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/build ./build
COPY --from=build /app/build-sync ./build-sync
# the relay journal of a sync-server running alone (no REDIS_URL; SYNC_JOURNAL_DIR), per process
RUN mkdir -p /var/lib/dispatch/journal && chown -R node:node /var/lib/dispatch
USER node
EXPOSE 3000 3001
CMD ["node", "build/index.js"]
