// Development-only sign-in for the operator console (examples/console): `GET /dev/users` lists the
// users to pick from and `GET /dev/token?email=...` mints a bearer token for one of them. Both are
// absent (404) unless DEV_SIGN_IN=on, which the configuration refuses with a real JWT_SECRET, a
// non-loopback HOST or NODE_ENV=production: nothing switches them on by omission. Even then they
// answer only requests whose Host header names this machine (403 otherwise), so a page whose DNS
// name was rebound to 127.0.0.1 cannot read a token from a developer's API.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Services } from '../app.js';
import { isLoopbackHostHeader } from './loopback.js';

export const DEV_PATHS = ['/dev/users', '/dev/token'];

export async function serveDevSignIn(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { config, prisma, tokens } = services;
  const url = new URL(req.url ?? '/', 'http://atlas.local');
  if (config.DEV_SIGN_IN !== 'on' || req.method !== 'GET') return send(res, 404, { error: 'not found' }, '');
  if (!isLoopbackHostHeader(req.headers.host)) return send(res, 403, { error: 'loopback Host only' }, '');
  // A simple GET (no custom headers), so no preflight: the console's origin only needs to read the answer.
  const origin = new URL(config.PUBLIC_APP_URL).origin;
  if (url.pathname === '/dev/users') {
    const users = await prisma.user.findMany({ select: { email: true, displayName: true }, orderBy: { email: 'asc' } });
    return send(res, 200, users, origin);
  }
  const user = await prisma.user.findUnique({ where: { email: url.searchParams.get('email') ?? '' } });
  if (!user) return send(res, 404, { error: 'no such user' }, origin);
  return send(res, 200, { token: await tokens.sign(user.id) }, origin);
}

function send(res: ServerResponse, status: number, body: unknown, origin: string) {
  res.writeHead(status, {
    'content-type': 'application/json',
    ...(origin ? { 'access-control-allow-origin': origin } : {}),
  });
  res.end(JSON.stringify(body));
}
