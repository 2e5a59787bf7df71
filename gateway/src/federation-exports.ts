// @apollo/federation-internals re-exports its modules through getters (TypeScript's CommonJS
// `export *`), and @apollo/gateway reaches its helpers through them in its hottest loops (result
// shaping): 5% of the gateway's CPU on a page load went to those getters alone. They are
// non-configurable, so this module replaces the package's cached exports with a plain copy; it
// must be required before @apollo/gateway is (server.ts imports it first). No library does this.
// Every re-exported binding is fixed once the package has loaded (gateway/test/federation-exports.test.ts
// checks it); under jest's own module registry it changes nothing.
import Module from 'node:module';

const cache = (Module as unknown as { _cache: Record<string, { exports: unknown } | undefined> })._cache;
const gatewayPath = require.resolve('@apollo/gateway');
const internalsPath = require.resolve('@apollo/federation-internals', { paths: [gatewayPath] });

const live = require(internalsPath) as Record<string, unknown>;

function flatten(): boolean {
  // Too late once @apollo/gateway has loaded: its modules hold the getters already.
  if (cache[gatewayPath]) return false;
  const cached = cache[internalsPath];
  if (!cached || cached.exports !== live) return false;
  const flat: Record<string, unknown> = {};
  for (const key of Object.keys(live)) flat[key] = live[key];
  Object.defineProperty(flat, '__esModule', { value: true });
  cached.exports = flat;
  return true;
}

/** Whether @apollo/gateway will see the plain copy (false under jest, or when imported too late). */
export const federationExportsFlattened = flatten();

/** The exports whose copy no longer matches the package's own (for the test: none ever should). */
export function staleFederationExports(): string[] {
  const seen = require(internalsPath) as Record<string, unknown>;
  return Object.keys(live).filter((key) => seen[key] !== live[key]);
}
