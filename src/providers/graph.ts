// The Microsoft Graph provider (PROVIDER_MODE=graph): client-credentials tokens from Entra ID and
// plain REST calls against Graph. Throttling and outages are retried here first (honouring
// Retry-After); what survives the retries surfaces as a transient ProviderError so the run-level
// retry can take over. Messages never carry the client secret or a token.
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type {
  CallContext,
  ConnectionCheckResult,
  DirectoryGroupRecord,
  PinnedConnection,
  Provider,
  ProviderErrorCode,
  RestoreItem,
  RoleDefinitionRecord,
  VerificationReport,
} from './provider.js';
import { type ConnectionRow, ProviderError } from './provider.js';

export type GraphProviderOptions = {
  /** e.g. https://login.microsoftonline.com */
  authorityUrl: string;
  /** e.g. https://graph.microsoft.com/v1.0 */
  apiUrl: string;
  /** Retries after the first attempt for 429/502/503/504 and network errors. */
  maxRetries?: number;
  /** Upper bound for one wait, whether asked for by Retry-After or computed as backoff. */
  maxRetryAfterMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
};

const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
const BACKOFF_BASE_MS = 500;
const RETRIED_STATUSES = new Set([429, 502, 503, 504]);
// Refresh this long before Entra's expiry so a token never lapses mid-request.
const TOKEN_EXPIRY_MARGIN_MS = 5 * 60_000;

const RESTORE_ENDPOINTS: Record<string, string> = {
  compliancePolicy: '/deviceManagement/deviceCompliancePolicies',
  configurationProfile: '/deviceManagement/deviceConfigurations',
  conditionalAccessPolicy: '/identity/conditionalAccess/policies',
};

/** A response whose body was read inside the retry loop, so a connection dropped mid-body is retried too. */
type Reply = { status: number; headers: Headers; text: string };
type CachedToken = { accessToken: string; expiresAt: number };

type GraphOrganization = { id?: string; displayName?: string; verifiedDomains?: { name?: string }[] };
type GraphGroup = { id: string; displayName?: string | null; mail?: string | null };
type GraphRoleDefinition = { id: string; displayName?: string | null; isBuiltIn?: boolean | null };

/** A Graph connection's credentials: its app registration (client-credentials flow). */
export type GraphCredentials = { clientId: string | null; clientSecret: string | null };

export const graphCredentials = (row: Pick<ConnectionRow, 'clientId' | 'clientSecret'>): GraphCredentials => ({
  clientId: row.clientId,
  clientSecret: row.clientSecret,
});

export class GraphProvider implements Provider {
  private readonly authorityUrl: string;
  private readonly apiUrl: string;
  private readonly apiOrigin: string;
  private readonly maxRetries: number;
  private readonly maxRetryAfterMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly tokens = new Map<string, CachedToken>();

  constructor(options: GraphProviderOptions) {
    this.authorityUrl = options.authorityUrl.replace(/\/+$/, '');
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.apiOrigin = new URL(this.apiUrl).origin;
    this.maxRetries = options.maxRetries ?? 4;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
    this.fetchImpl = options.fetch ?? fetch;
    this.sleep = options.sleep ?? ((ms) => delay(ms));
  }

  async verifyTenant(connection: PinnedConnection, call: CallContext): Promise<VerificationReport> {
    const org = await this.organization(connection, call);
    const organizationId = org.id ?? '';
    const verifiedDomains = (org.verifiedDomains ?? [])
      .map((d) => d.name)
      .filter((name): name is string => typeof name === 'string');
    const idMatches = organizationId.toLowerCase() === connection.tenantExternalId.toLowerCase();
    return {
      organizationId,
      displayName: org.displayName ?? '',
      verifiedDomains,
      checks: [
        {
          name: 'organization-id-matches',
          passed: idMatches,
          ...(idMatches
            ? {}
            : {
                detail: `Graph reports organization ${organizationId || '(none)'}, expected ${connection.tenantExternalId}`,
              }),
        },
        {
          name: 'has-verified-domain',
          passed: verifiedDomains.length > 0,
          ...(verifiedDomains.length > 0 ? {} : { detail: 'The organization has no verified domain' }),
        },
      ],
    };
  }

  async listGroups(connection: PinnedConnection, call: CallContext): Promise<DirectoryGroupRecord[]> {
    const groups = await this.listAll<GraphGroup>(
      connection,
      `${this.apiUrl}/groups?$select=id,displayName,mail&$top=999`,
      call,
    );
    return groups.map((g) => ({ externalId: g.id, displayName: g.displayName ?? '', mail: g.mail ?? null }));
  }

  async listRoleDefinitions(connection: PinnedConnection, call: CallContext): Promise<RoleDefinitionRecord[]> {
    const url = `${this.apiUrl}/roleManagement/directory/roleDefinitions?$select=id,displayName,isBuiltIn`;
    const roles = await this.listAll<GraphRoleDefinition>(connection, url, call);
    return roles.map((r) => ({ externalId: r.id, displayName: r.displayName ?? '', isBuiltIn: r.isBuiltIn === true }));
  }

  async checkConnection(connection: PinnedConnection, call: CallContext): Promise<ConnectionCheckResult> {
    try {
      // A cached token would hide a secret that expired or was revoked since it was issued.
      const token = await this.token(connection, call, { fresh: true });
      const reply = await this.send(
        `${this.apiUrl}/organization`,
        { method: 'GET', headers: authorization(token) },
        call,
      );
      if (reply.status === 403) {
        return {
          credentialState: 'CONSENT_REQUIRED',
          detail: 'A token was issued but reading the organization was denied (HTTP 403): admin consent is missing',
        };
      }
      if (reply.status === 401) {
        return { credentialState: 'EXPIRED', detail: 'Graph rejected a freshly issued token (HTTP 401)' };
      }
      const org = firstOrganization(ensureOk(reply, 'GET /organization'));
      return {
        credentialState: 'VALID',
        detail: `Token acquired and organization "${org.displayName ?? org.id ?? 'unknown'}" readable`,
      };
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      switch (err.code) {
        case 'PROVIDER_CREDENTIALS_MISSING':
          return { credentialState: 'MISSING', detail: err.message };
        case 'PROVIDER_CREDENTIALS_EXPIRED':
          return { credentialState: 'EXPIRED', detail: err.message };
        // A wrong or revoked secret needs the same fix as an expired one: a new secret.
        case 'PROVIDER_AUTH_FAILED':
          return { credentialState: 'EXPIRED', detail: err.message };
        case 'PROVIDER_CONSENT_REQUIRED':
          return { credentialState: 'CONSENT_REQUIRED', detail: err.message };
        default:
          throw err;
      }
    }
  }

  async applyRestoreItem(
    connection: PinnedConnection,
    item: RestoreItem,
    call: CallContext,
  ): Promise<'applied' | 'skipped'> {
    const endpoint = RESTORE_ENDPOINTS[item.kind];
    if (!endpoint) return 'skipped';
    const body = JSON.stringify(item.payload ?? { displayName: item.name });
    const reply = await this.api(
      connection,
      `${this.apiUrl}${endpoint}`,
      { method: 'POST', body, contentType: 'application/json' },
      call,
    );
    if (reply.status === 409) return 'skipped';
    ensureOk(reply, `POST ${endpoint} "${item.name}"`);
    return 'applied';
  }

  private async organization(connection: PinnedConnection, call: CallContext): Promise<GraphOrganization> {
    const reply = await this.api(connection, `${this.apiUrl}/organization`, { method: 'GET' }, call);
    return firstOrganization(ensureOk(reply, 'GET /organization'));
  }

  private async listAll<T>(connection: PinnedConnection, firstUrl: string, call: CallContext): Promise<T[]> {
    const items: T[] = [];
    let url: string | undefined = firstUrl;
    while (url) {
      // nextLink is server-supplied; never send the bearer token to another host.
      if (new URL(url).origin !== this.apiOrigin) {
        throw new ProviderError('PROVIDER_ERROR', `Graph returned a next page link outside ${this.apiOrigin}`, false);
      }
      const reply = await this.api(connection, url, { method: 'GET' }, call);
      const page = (ensureOk(reply, `GET ${new URL(url).pathname}`) ?? {}) as {
        value?: T[];
        '@odata.nextLink'?: string;
      };
      items.push(...(page.value ?? []));
      url = page['@odata.nextLink'];
    }
    return items;
  }

  /** An authenticated Graph call. A 401 means the token went stale: re-acquire it once. */
  private async api(
    connection: PinnedConnection,
    url: string,
    request: { method: string; body?: string; contentType?: string },
    call: CallContext,
  ): Promise<Reply> {
    for (let reauthenticated = false; ; reauthenticated = true) {
      const token = await this.token(connection, call, { fresh: reauthenticated });
      const headers = authorization(token);
      if (request.contentType) headers['content-type'] = request.contentType;
      const reply = await this.send(url, { method: request.method, headers, body: request.body }, call);
      if (reply.status !== 401 || reauthenticated) return reply;
    }
  }

  private async token(connection: PinnedConnection, call: CallContext, options: { fresh: boolean }): Promise<string> {
    const { clientId, clientSecret } = connection.credentials as GraphCredentials;
    if (!clientId || !clientSecret) {
      throw new ProviderError(
        'PROVIDER_CREDENTIALS_MISSING',
        'The connection has no client id or client secret',
        false,
      );
    }
    // The secret's fingerprint is in the key so a token issued for one secret is never reused
    // by a connection whose secret differs (for instance, was replaced by a wrong one).
    const secretFingerprint = createHash('sha256').update(clientSecret).digest('hex').slice(0, 16);
    const key = `${connection.tenantExternalId.toLowerCase()}|${clientId}|${secretFingerprint}`;
    const cached = this.tokens.get(key);
    if (!options.fresh && cached && cached.expiresAt > Date.now()) return cached.accessToken;
    this.tokens.delete(key);

    const url = `${this.authorityUrl}/${encodeURIComponent(connection.tenantExternalId)}/oauth2/v2.0/token`;
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      scope: GRAPH_SCOPE,
    });
    const reply = await this.send(
      url,
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() },
      call,
    );
    const body = parseJson(reply.text) as
      | { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown }
      | undefined;
    if (reply.status < 200 || reply.status >= 300) throw tokenError(reply.status, body);
    if (typeof body?.access_token !== 'string') {
      throw new ProviderError('PROVIDER_ERROR', 'The token endpoint answered without an access token', false);
    }
    const lifetimeMs = (Number(body.expires_in) || 3600) * 1000;
    this.tokens.set(key, {
      accessToken: body.access_token,
      expiresAt: Date.now() + lifetimeMs - Math.min(TOKEN_EXPIRY_MARGIN_MS, lifetimeMs / 2),
    });
    return body.access_token;
  }

  /**
   * One HTTP exchange with the retry loop for throttling, gateway errors and network failures.
   * Any other status is returned for the caller to interpret.
   */
  private async send(
    url: string,
    init: { method: string; headers: Record<string, string>; body?: string },
    call: CallContext,
  ): Promise<Reply> {
    const what = `${init.method} ${new URL(url).pathname}`;
    for (let retry = 0; ; retry++) {
      call.signal?.throwIfAborted();
      let failure: { code: ProviderErrorCode; message: string; retryAfterMs?: number };
      try {
        const res = await this.fetchImpl(url, { ...init, signal: call.signal });
        const text = await res.text();
        if (!RETRIED_STATUSES.has(res.status)) return { status: res.status, headers: res.headers, text };
        failure = {
          code: res.status === 429 ? 'PROVIDER_THROTTLED' : 'PROVIDER_UNAVAILABLE',
          message: `Graph ${what} answered HTTP ${res.status}`,
          retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
        };
      } catch (err) {
        // Cancellation is the caller's decision, not a provider fault.
        if (call.signal?.aborted) throw err;
        failure = { code: 'PROVIDER_UNAVAILABLE', message: `Graph ${what} failed: ${networkCause(err)}` };
      }
      if (retry >= this.maxRetries) {
        throw new ProviderError(
          failure.code,
          `${failure.message} (gave up after ${retry + 1} attempts)`,
          true,
          failure.retryAfterMs,
        );
      }
      const backoffMs = BACKOFF_BASE_MS * 2 ** retry;
      await untilAborted(this.sleep(Math.min(failure.retryAfterMs ?? backoffMs, this.maxRetryAfterMs)), call.signal);
    }
  }
}

/** A wait of up to maxRetryAfterMs must not outlive a cancelled run. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const authorization = (token: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
  accept: 'application/json',
});

function firstOrganization(body: unknown): GraphOrganization {
  const org = (body as { value?: GraphOrganization[] } | undefined)?.value?.[0];
  if (!org) throw new ProviderError('PROVIDER_ERROR', 'Graph returned no organization for the tenant', false);
  return org;
}

/** The parsed body of a 2xx reply; anything else becomes the ProviderError for its status. */
function ensureOk(reply: Reply, what: string): unknown {
  if (reply.status >= 200 && reply.status < 300) return reply.text ? parseJson(reply.text) : undefined;
  const detail = graphErrorDetail(reply.text);
  const message = `Graph ${what} answered HTTP ${reply.status}${detail ? ` (${detail})` : ''}`;
  if (reply.status === 401) return fail('PROVIDER_AUTH_FAILED', message, false);
  if (reply.status === 403) return fail('PROVIDER_PERMISSION_DENIED', message, false);
  return fail('PROVIDER_ERROR', message, reply.status >= 500);
}

function fail(code: ProviderErrorCode, message: string, transient: boolean): never {
  throw new ProviderError(code, message, transient);
}

function tokenError(status: number, body: { error?: unknown; error_description?: unknown } | undefined): ProviderError {
  const error = typeof body?.error === 'string' ? body.error : '';
  const description = typeof body?.error_description === 'string' ? body.error_description : '';
  // Entra's descriptions name the app and a trace id, never the secret; the first line is enough.
  const summary = `token request failed with HTTP ${status}${error ? ` ${error}` : ''}${description ? `: ${truncate(description.split(/\r?\n/)[0])}` : ''}`;
  if (description.includes('AADSTS7000222'))
    return new ProviderError('PROVIDER_CREDENTIALS_EXPIRED', `The client secret has expired; ${summary}`, false);
  if (description.includes('AADSTS65001') || error === 'consent_required' || description.includes('consent_required')) {
    return new ProviderError('PROVIDER_CONSENT_REQUIRED', `Admin consent has not been granted; ${summary}`, false);
  }
  if (error === 'invalid_client' || error === 'unauthorized_client' || status === 400 || status === 401) {
    return new ProviderError('PROVIDER_AUTH_FAILED', `The credentials were rejected; ${summary}`, false);
  }
  return new ProviderError('PROVIDER_ERROR', `The ${summary}`, status >= 500);
}

function graphErrorDetail(text: string): string {
  const error = (parseJson(text) as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (!error) return '';
  const parts = [error.code, error.message].filter((p): p is string => typeof p === 'string' && p.length > 0);
  return truncate(parts.join(': '));
}

/** Retry-After is either delta-seconds or an HTTP-date. */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function networkCause(err: unknown): string {
  if (!(err instanceof Error)) return 'network error';
  // undici reports "fetch failed" and keeps the useful part (ECONNREFUSED, ...) in cause.
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
  return detail ? `${err.message} (${detail})` : err.message;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const truncate = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}…` : text);
