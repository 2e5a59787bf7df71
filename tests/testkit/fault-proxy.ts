import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { closeServer } from '@commons/shared';

export type Fault = 'none' | 'down' | 'frozen' | 'slow' | 'errors';

/**
 * An HTTP proxy in front of one subgraph that misbehaves on demand: `down` resets every
 * connection, `frozen` accepts and never answers, `slow` answers after `slowMs`, `errors`
 * answers 500. Frozen requests are released when the proxy closes.
 */
export async function startFaultProxy(target: string, slowMs = 3000) {
  let fault: Fault = 'none';
  const held = new Set<ServerResponse>();
  const sockets = new Set<Socket>();

  const forward = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k, v]) => typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k)),
    ) as Record<string, string>;
    const upstream = await fetch(new URL(req.url ?? '/', target), {
      method: req.method,
      headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.concat(chunks),
    });
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  };

  const server = createServer((req, res) => {
    switch (fault) {
      case 'down':
        req.socket.destroy();
        return;
      case 'frozen':
        held.add(res);
        return;
      case 'errors':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('upstream exploded');
        return;
      case 'slow':
        setTimeout(() => void forward(req, res).catch(() => res.destroy()), slowMs);
        return;
      default:
        void forward(req, res).catch(() => res.destroy());
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = new URL(target);
  return {
    url: `http://127.0.0.1:${port}${base.pathname}`,
    set(next: Fault) {
      fault = next;
      if (next !== 'frozen') for (const res of held) res.destroy();
    },
    async close() {
      for (const res of held) res.destroy();
      for (const socket of sockets) socket.destroy();
      await closeServer(server, 100);
    },
  };
}
