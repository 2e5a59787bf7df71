// `npm run migrate`: applies prisma/migrations to DATABASE_URL (the containers' one-shot job).
import { loadConfig, createLogger } from '@commons/shared';
import { ensureDatabase, migrate } from '@commons/shared/src/db/migrate';

async function main() {
  const config = loadConfig();
  const logger = createLogger('migrate', config.logLevel);
  if (!config.databaseUrl) throw new Error('DATABASE_URL is not set (the embedded database migrates itself at start)');
  await ensureDatabase(config.databaseUrl);
  const ran = await migrate(config.databaseUrl);
  logger.info({ ran }, ran.length ? 'migrations applied' : 'database is up to date');
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
