import { defineConfig } from 'prisma/config';

// The CLI is used offline for `generate` and `migrate diff` only; migrations are applied
// by prisma/migrate.ts (see the architecture notes), so no datasource URL is needed here.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
