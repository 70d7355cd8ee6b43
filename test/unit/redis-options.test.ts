// REDIS_URL (and each Redlock URL) to ioredis options: rediss:// must mean TLS (it silently
// connected in clear before), with the certificate checked against the host name.
import { describe, expect, it } from 'vitest';
import { redisOptions } from '../../src/redis/connections.js';

describe('redisOptions', () => {
  it('rediss:// turns TLS on with the host as server name', () => {
    expect(redisOptions('rediss://default:s%40cret@cache.example.net:6380/2')).toEqual({
      host: 'cache.example.net',
      port: 6380,
      db: 2,
      username: 'default',
      password: 's@cret',
      tls: { servername: 'cache.example.net' },
    });
  });

  it('rediss:// to an IP address: TLS without a server name (SNI takes host names only)', () => {
    expect(redisOptions('rediss://10.0.0.5').tls).toEqual({});
  });

  it('redis:// stays plain', () => {
    const options = redisOptions('redis://127.0.0.1:6379');
    expect(options).toEqual({ host: '127.0.0.1', port: 6379, db: 0, username: undefined, password: undefined });
    expect('tls' in options).toBe(false);
  });

  it('an IPv6 literal loses its brackets', () => {
    expect(redisOptions('redis://[::1]:6379').host).toBe('::1');
  });

  it('another scheme is refused instead of being treated as plain Redis', () => {
    expect(() => redisOptions('http://127.0.0.1:6379')).toThrow(/unsupported Redis URL scheme http:/);
  });
});
