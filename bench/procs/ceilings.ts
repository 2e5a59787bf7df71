// Bench child: the L0 ceilings, the denominators of every other figure.
//   hello   - node:http answering a fixed JSON body
//   pg      - node:http doing one primary-key lookup over pg (a pool as large as the subgraphs')
//   apollo  - Apollo Server 5 standalone answering `{ __typename }`
import { createServer } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import pg from 'pg';
import { serveChild } from '../lib/child';
import { env } from '../lib/env';

serveChild(async () => {
  const e = env();
  const userId = process.env.BENCH_PG_USER_ID!;
  const pool = new pg.Pool({ connectionString: e.databaseUrl, max: e.poolSize, connectionTimeoutMillis: 5000 });
  const hello = Buffer.from(JSON.stringify({ data: { hello: 'world' } }));
  const server = createServer((req, res) => {
    if (req.url === '/pg') {
      pool.query('SELECT id, handle, display_name, avatar_url FROM users WHERE id = $1', [userId]).then(
        (r) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ data: { user: r.rows[0] ?? null } }));
        },
        (err: Error) => {
          res.writeHead(500);
          res.end(err.message);
        },
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': hello.length });
    res.end(hello);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  const apollo = new ApolloServer({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'world' } } });
  const { url: apolloUrl } = await startStandaloneServer(apollo, { listen: { port: 0, host: '127.0.0.1' } });
  return {
    info: { hello: `http://127.0.0.1:${port}/`, pg: `http://127.0.0.1:${port}/pg`, apollo: apolloUrl },
    async close() {
      await apollo.stop();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await pool.end();
    },
  };
});
