// `npm run -s token -- <userId> "<Display Name>" [handle]`: prints a development JWT signed
// with JWT_SECRET, and nothing else on stdout, so `TOKEN=$(npm run -s token -- u1 "Ada")` works.
import { loadConfig, signClientToken } from '@commons/shared';

const USAGE = 'usage: npm run -s token -- <userId> "<Display Name>" [handle]';

/** "Ada Lovelace" -> "ada-lovelace": the handle a display name suggests. */
function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

async function main() {
  const [id, name, handleArg] = process.argv.slice(2);
  if (!id?.trim() || !name?.trim()) throw new Error(USAGE);
  const config = loadConfig();
  if (!config.auth.jwtSecret) throw new Error('JWT_SECRET is not set (tokens of a JWKS provider cannot be minted here)');
  const handle = handleArg?.trim() || slugify(name) || id;
  const token = await signClientToken(
    config.auth.jwtSecret,
    { id: id.trim(), name: name.trim(), handle },
    { expiresIn: '12h', issuer: config.auth.issuer, audience: config.auth.audience },
  );
  process.stdout.write(`${token}\n`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
