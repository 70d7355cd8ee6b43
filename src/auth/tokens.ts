// HS256 bearer tokens (`sub` = user id). Verified tokens are cached briefly: HMAC verification
// was a fifth of server CPU on trivial queries (FACTS.md), and a token's claims cannot change.
import { SignJWT, jwtVerify } from 'jose';

export type TokenClaims = { userId: string; expiresAt: number };

export class TokenService {
  private readonly key: Uint8Array;
  private readonly cache = new Map<string, TokenClaims>();

  constructor(
    secret: string,
    private readonly maxCached = 10_000,
  ) {
    this.key = new TextEncoder().encode(secret);
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
    if (cached) {
      if (cached.expiresAt > Date.now()) return cached;
      this.cache.delete(token);
      return null;
    }
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') return null;
      const claims = { userId: payload.sub, expiresAt: payload.exp * 1000 };
      if (this.cache.size >= this.maxCached) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(token, claims);
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
