// ioredis options from a redis:// or rediss:// URL, for every Redis client the product opens.
import { isIP } from 'node:net';
import type { RedisOptions } from 'ioredis';

export function redisOptions(url: string): RedisOptions {
  const parsed = new URL(url);
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new Error(`unsupported Redis URL scheme ${parsed.protocol} (use redis:// or rediss://)`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1'); // an IPv6 literal without its brackets
  return {
    host,
    port: Number(parsed.port || 6379),
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    // rediss:// means TLS, certificate verified against the host name (SNI is not sent for an IP).
    ...(parsed.protocol === 'rediss:' ? { tls: isIP(host) ? {} : { servername: host } } : {}),
  };
}
