import path from 'node:path';
import { defineConfig } from 'prisma/config';

// Prisma's CLI normally downloads a native schema engine; this project runs the engine from npm's
// wasm build through a stdio stand-in instead, so `prisma generate` and `prisma migrate dev` work
// from the npm registry alone (air-gapped installs too). Set PRISMA_SCHEMA_ENGINE_BINARY to use a
// native engine instead. See docs/decisions/0002-prisma-without-native-engine.md.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(
  __dirname,
  'prisma',
  'engine',
  'schema-engine-shim.mjs',
);
process.env.CHECKPOINT_DISABLE ??= '1';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  // Only migrate commands read this; `generate` must work without a database.
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/scim_hub' },
});
