// Development-only sign-in for the operator console (examples/console): `GET /dev/users` lists the
// users to pick from and `GET /dev/token?email=...` mints a bearer token for one of them. Both are
// absent (404) unless NODE_ENV=development, so a production API never hands out tokens.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Services } from '../app.js';

export const DEV_PATHS = ['/dev/users', '/dev/token'];

export async function serveDevSignIn(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { config, prisma, tokens } = services;
  const url = new URL(req.url ?? '/', 'http://atlas.local');
  if (config.NODE_ENV !== 'development' || req.method !== 'GET') return send(res, 404, { error: 'not found' }, '');
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
