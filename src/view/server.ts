/**
 * `rstar view`'s local web server (node:http): the page, its three scripts and JSON of the named
 * run's views and trees. Nothing maps a request path to a file: assets are a fixed table and data
 * comes from a ViewSource by opaque key, so `..` and encoded variants reach nothing. Binds 127.0.0.1
 * by default; on a loopback address it also refuses requests whose Host is not that address (a web
 * page elsewhere cannot reach it by DNS rebinding).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assets, needsPlots, serverCsp, serverPage, type Assets } from './page.js';
import type { ViewSource } from './source.js';

export interface ViewServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export async function startViewServer(source: ViewSource, opts: { host?: string; port?: number; log?: (line: string) => void } = {}): Promise<ViewServer> {
  const host = opts.host ?? '127.0.0.1';
  const files = assets();
  const plots = needsPlots(source.catalogue().views.map((v) => v.kind));
  const page = serverPage(plots);
  const csp = serverCsp(plots);
  let port = 0;
  const allowedHosts = () =>
    new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`]);

  const send = (res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      ...extra,
    });
    res.end(body);
  };
  const json = (res: ServerResponse, value: unknown) => send(res, 200, 'application/json; charset=utf-8', JSON.stringify(value));
  const notFound = (res: ServerResponse) => send(res, 404, 'text/plain; charset=utf-8', 'not found\n');

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, HEAD' });
    if (LOOPBACK.has(host) && !allowedHosts().has(req.headers.host ?? '')) return send(res, 403, 'text/plain; charset=utf-8', 'forbidden host\n');
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/' || path === '/index.html') return send(res, 200, 'text/html; charset=utf-8', page, { 'Content-Security-Policy': csp });
    const asset = /^\/assets\/([a-z0-9-]+\.js)$/.exec(path)?.[1];
    if (asset !== undefined) {
      if (!Object.hasOwn(files, asset) || (asset === 'vega.js' && !plots)) return notFound(res);
      return send(res, 200, 'text/javascript; charset=utf-8', files[asset as keyof Assets]);
    }
    if (path === '/api/catalogue') return json(res, source.catalogue());
    const api = /^\/api\/(view|tree)\/(v\d+(?:\.\d+)?)$/.exec(path);
    if (api) {
      let value: unknown;
      try {
        value = api[1] === 'view' ? source.view(api[2]) : source.tree(api[2]);
      } catch (e) {
        opts.log?.(`${path}: ${(e as Error).message}`);
        return send(res, 500, 'application/json; charset=utf-8', JSON.stringify({ error: (e as Error).message }));
      }
      return value === null ? notFound(res) : json(res, value);
    }
    return notFound(res);
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Serves until SIGINT/SIGTERM, then closes. */
export function serveUntilSignal(v: ViewServer): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void v.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
