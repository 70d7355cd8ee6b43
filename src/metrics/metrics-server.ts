// GET /metrics, on the API's own port and, with METRICS_PORT, on a port of its own (the only HTTP
// a worker process serves, with /health for its container healthcheck). METRICS_TOKEN, when set,
// is required as a bearer token, so metrics can be scraped without being public.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import type { Metrics } from './metrics.js';

/** Answers a scrape: 401 without the configured token, else the exposition. */
export async function serveScrape(
  metrics: Metrics,
  token: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (token && !bearerMatches(req.headers.authorization, token)) {
    res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' });
    return void res.end('metrics need the METRICS_TOKEN bearer token\n');
  }
  const { contentType, body } = await metrics.exposition();
  res.writeHead(200, { 'content-type': contentType });
  res.end(body);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export type MetricsServer = { port: number; close(): Promise<void> };

export async function startMetricsServer(
  metrics: Metrics,
  options: { host: string; port: number; token?: string },
  log: Logger,
): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"status":"ok"}');
    }
    if (path === '/metrics' && (req.method === 'GET' || req.method === 'HEAD'))
      return void serveScrape(metrics, options.token, req, res).catch((err) => {
        log.error({ err }, 'metrics scrape failed');
        res.destroy();
      });
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'metrics server error'));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
