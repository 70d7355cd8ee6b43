// HS256 bearer tokens (`sub` = user id). Verified tokens are cached briefly: HMAC verification
// was a fifth of server CPU on trivial queries (FACTS.md), and a token's claims cannot change.
import { SignJWT, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';

export type TokenClaims = { userId: string; expiresAt: number };

export class TokenService {
  private readonly key: Uint8Array;
  /** Least recently used first out; each entry lives until its token expires. */
  private readonly cache: LRUCache<string, TokenClaims>;

  constructor(secret: string, maxCached = 10_000) {
    this.key = new TextEncoder().encode(secret);
    this.cache = new LRUCache({ max: maxCached });
  }

  async sign(userId: string, ttl = '12h'): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime(ttl)
      .sign(this.key);
  }

  /** The token's claims, or null when it is malformed, badly signed or expired. */
  async verify(token: string): Promise<TokenClaims | null> {
    const cached = this.cache.get(token);
    if (cached) return cached.expiresAt > Date.now() ? cached : null;
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') return null;
      const claims = { userId: payload.sub, expiresAt: payload.exp * 1000 };
      // Never kept past its expiry (jose refused it then anyway).
      this.cache.set(token, claims, { ttl: Math.max(1, claims.expiresAt - Date.now()) });
      return claims;
    } catch {
      return null;
    }
  }
}

export function bearerToken(header: string | null | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match ? match[1] : null;
}
