# One image for api and worker (choose with the command). Build: docker build -t scim-hub .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN node scripts/build.js && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/package.json ./package.json
USER node
# V8 flags every hub process runs with: libs/config/src/node-flags.ts (ADR 0007).
ENV NODE_OPTIONS=--max-semi-space-size=64
EXPOSE 3000
CMD ["node", "dist/apps/api/src/main.js"]
