/**
 * A local stand-in for Entra ID's token endpoint and Microsoft Graph, on 127.0.0.1 (random port),
 * for exercising GraphProvider over real HTTP.
 *
 *   const graph = await startFakeGraph({ groupCount: 7, groupPageSize: 3 });
 *   const provider = new GraphProvider({ authorityUrl: graph.authorityUrl, apiUrl: graph.apiUrl });
 *   const connection = graph.connection();          // a PinnedConnection the fake accepts
 *   ...
 *   graph.reset();                                  // back to the start options, logs cleared
 *   await graph.close();
 *
 * Options (all optional) are also mutable fields on the returned FakeGraph:
 * - tenants: organizations by tenant external id (default: FAKE_TENANT_ID, "Contoso",
 *   ["contoso.onmicrosoft.com"]). `organizationId` overrides the id /organization reports.
 * - clientId / clientSecret: the credentials the token endpoint accepts
 *   (default FAKE_CLIENT_ID / FAKE_CLIENT_SECRET). A wrong secret gets 401 invalid_client AADSTS7000215.
 * - credentialMode: 'valid' | 'expired' (401 invalid_client AADSTS7000222)
 *   | 'consent-required' (400 invalid_grant AADSTS65001). Applies to every token request.
 * - tokenExpiresIn: expires_in (seconds) of issued tokens, default 3600.
 * - groupCount / groupPageSize: GET /groups returns groupCount groups, groupPageSize per page,
 *   linked by absolute @odata.nextLink. Group i (0-based): id fakeGroupId(i), displayName
 *   "Group 01"..., mail null for every third group (i % 3 === 2).
 * - roleDefinitions / roleDefinitionPageSize: GET /roleManagement/directory/roleDefinitions.
 * - rejectDisplayNames: restore POSTs whose body displayName is listed get 400 (BadRequest).
 * - existingDisplayNames: restore POSTs whose body displayName is listed get 409 (Conflict).
 *
 * Other knobs:
 * - script({ path, method?, status, headers?, body?, times? }): the next `times` (default 1,
 *   Infinity for always) requests whose pathname ends with `path` get this response instead,
 *   before any auth check. E.g. script({ path: '/groups', status: 429, headers: { 'retry-after': '0' }, times: 2 }).
 * - revokeTokens(): every token issued so far is answered with 401 from now on.
 *
 * Logs: `requests` ({ method, path (pathname + query, from the origin), auth?, body? } in arrival
 * order; body is the parsed form or JSON), `restored` ({ path, body } of accepted restore POSTs),
 * `tokenRequests()` and `apiRequests(pathSuffix)` as filters over `requests`.
 * Routes: token at `${authorityUrl}/{tenant}/oauth2/v2.0/token`; API under `${apiUrl}` (= origin + /v1.0).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PinnedConnection } from '../../src/providers/provider.js';
import { type GraphCredentials, graphCredentials } from '../../src/providers/graph.js';

export const FAKE_TENANT_ID = '6f1c2e3d-0000-4000-8000-00000000c0de';
export const FAKE_CLIENT_ID = '11111111-2222-4333-8444-555555555555';
export const FAKE_CLIENT_SECRET = 'fake-client-secret-value';

export type FakeOrganization = { displayName: string; verifiedDomains: string[]; organizationId?: string };
export type FakeRoleDefinition = { id: string; displayName: string; isBuiltIn: boolean };
export type FakeCredentialMode = 'valid' | 'expired' | 'consent-required';
export type ScriptedResponse = {
  path: string;
  method?: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  times?: number;
};
export type RecordedRequest = { method: string; path: string; auth?: string; body?: unknown };

export type FakeGraphOptions = {
  tenants?: Record<string, FakeOrganization>;
  clientId?: string;
  clientSecret?: string;
  credentialMode?: FakeCredentialMode;
  tokenExpiresIn?: number;
  groupCount?: number;
  groupPageSize?: number;
  roleDefinitions?: FakeRoleDefinition[];
  roleDefinitionPageSize?: number;
  rejectDisplayNames?: string[];
  existingDisplayNames?: string[];
};

export type FakeGraph = Required<FakeGraphOptions> & {
  authorityUrl: string;
  apiUrl: string;
  requests: RecordedRequest[];
  restored: { path: string; body: unknown }[];
  script(response: ScriptedResponse): void;
  revokeTokens(): void;
  tokenRequests(): RecordedRequest[];
  apiRequests(pathSuffix: string): RecordedRequest[];
  /** A connection to the first configured tenant with the accepted credentials; fields overridable. */
  /** A Graph connection the fake accepts; overrides replace its id, tenant or credentials. */
  connection(
    overrides?: Partial<Pick<PinnedConnection, 'id' | 'tenantExternalId'> & GraphCredentials>,
  ): PinnedConnection;
  reset(): void;
  close(): Promise<void>;
};

export const fakeGroupId = (i: number) => `00000000-0000-4000-a000-${String(i).padStart(12, '0')}`;

const DEFAULT_ROLE_DEFINITIONS: FakeRoleDefinition[] = [
  { id: '62e90394-69f5-4237-9190-012177145e10', displayName: 'Global Administrator', isBuiltIn: true },
  { id: 'fe930be7-5e62-47db-91af-98c3a49a38b1', displayName: 'User Administrator', isBuiltIn: true },
  { id: '5d6b6bb7-de71-4623-b4af-96380a352509', displayName: 'Security Reader', isBuiltIn: true },
  { id: 'aaaaaaaa-0000-4000-8000-0000000000c1', displayName: 'Custom Helpdesk', isBuiltIn: false },
];

const RESTORE_PATHS = [
  '/deviceManagement/deviceCompliancePolicies',
  '/deviceManagement/deviceConfigurations',
  '/identity/conditionalAccess/policies',
];
const API_PREFIX = '/v1.0';

function defaults(opts: FakeGraphOptions): Required<FakeGraphOptions> {
  return {
    tenants: structuredClone(
      opts.tenants ?? { [FAKE_TENANT_ID]: { displayName: 'Contoso', verifiedDomains: ['contoso.onmicrosoft.com'] } },
    ),
    clientId: opts.clientId ?? FAKE_CLIENT_ID,
    clientSecret: opts.clientSecret ?? FAKE_CLIENT_SECRET,
    credentialMode: opts.credentialMode ?? 'valid',
    tokenExpiresIn: opts.tokenExpiresIn ?? 3600,
    groupCount: opts.groupCount ?? 5,
    groupPageSize: opts.groupPageSize ?? 100,
    roleDefinitions: structuredClone(opts.roleDefinitions ?? DEFAULT_ROLE_DEFINITIONS),
    roleDefinitionPageSize: opts.roleDefinitionPageSize ?? 100,
    rejectDisplayNames: [...(opts.rejectDisplayNames ?? [])],
    existingDisplayNames: [...(opts.existingDisplayNames ?? [])],
  };
}

export async function startFakeGraph(opts: FakeGraphOptions = {}): Promise<FakeGraph> {
  let scripts: ScriptedResponse[] = [];
  // token -> tenant it was issued for; revoked tokens are dropped.
  let issued = new Map<string, string>();
  let tokenSerial = 0;

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) =>
      send(res, 500, { error: { code: 'FakeGraphFailure', message: String(err) } }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const graph: FakeGraph = {
    ...defaults(opts),
    authorityUrl: origin,
    apiUrl: `${origin}${API_PREFIX}`,
    requests: [],
    restored: [],
    script: (response) => void scripts.push({ times: 1, ...response }),
    revokeTokens: () => void (issued = new Map()),
    tokenRequests: () => graph.requests.filter((r) => r.path.split('?')[0].endsWith('/oauth2/v2.0/token')),
    apiRequests: (suffix) =>
      graph.requests.filter((r) => r.path.startsWith(API_PREFIX) && r.path.split('?')[0].endsWith(suffix)),
    connection: (overrides = {}) => {
      const pinned = {
        id: 'fake-connection',
        tenantExternalId: Object.keys(graph.tenants)[0],
        clientId: graph.clientId,
        clientSecret: graph.clientSecret,
        ...overrides,
      };
      return {
        id: pinned.id,
        tenantExternalId: pinned.tenantExternalId,
        credentials: graphCredentials(pinned),
      };
    },
    reset: () => {
      Object.assign(graph, defaults(opts));
      graph.requests.length = 0;
      graph.restored.length = 0;
      scripts = [];
      issued = new Map();
      tokenSerial = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // fetch keeps connections alive; without this close() waits for them to time out.
        server.closeAllConnections();
      }),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const body =
      raw === ''
        ? undefined
        : (req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')
          ? Object.fromEntries(new URLSearchParams(raw))
          : tryJson(raw);
    graph.requests.push({
      method,
      path: url.pathname + url.search,
      ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
      ...(body === undefined ? {} : { body }),
    });

    const scripted = scripts.find((s) => url.pathname.endsWith(s.path) && (!s.method || s.method === method));
    if (scripted) {
      scripted.times = (scripted.times ?? 1) - 1;
      if (scripted.times <= 0) scripts = scripts.filter((s) => s !== scripted);
      return send(res, scripted.status, scripted.body ?? graphError(scripted.status, 'Scripted'), scripted.headers);
    }

    const tokenMatch = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (tokenMatch && method === 'POST')
      return token(res, decodeURIComponent(tokenMatch[1]), body as Record<string, string> | undefined);

    if (!url.pathname.startsWith(API_PREFIX)) return send(res, 404, graphError(404, 'NotFound'));
    const tenant = issued.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (!tenant)
      return send(res, 401, graphError(401, 'InvalidAuthenticationToken', 'Access token is empty or invalid.'));
    const path = url.pathname.slice(API_PREFIX.length);

    if (method === 'GET' && path === '/organization') {
      const org = graph.tenants[tenant];
      return send(res, 200, {
        value: [
          {
            id: org.organizationId ?? tenant,
            displayName: org.displayName,
            verifiedDomains: org.verifiedDomains.map((name) => ({ name, isDefault: false })),
          },
        ],
      });
    }
    if (method === 'GET' && path === '/groups') {
      const groups = Array.from({ length: graph.groupCount }, (_, i) => ({
        id: fakeGroupId(i),
        displayName: `Group ${String(i + 1).padStart(2, '0')}`,
        mail: i % 3 === 2 ? null : `group${i + 1}@contoso.test`,
      }));
      return send(res, 200, page(url, groups, graph.groupPageSize));
    }
    if (method === 'GET' && path === '/roleManagement/directory/roleDefinitions') {
      return send(res, 200, page(url, graph.roleDefinitions, graph.roleDefinitionPageSize));
    }
    if (method === 'POST' && RESTORE_PATHS.includes(path)) {
      const displayName = (body as { displayName?: unknown } | undefined)?.displayName;
      if (typeof displayName === 'string' && graph.rejectDisplayNames.includes(displayName)) {
        return send(res, 400, graphError(400, 'BadRequest', `Invalid policy "${displayName}"`));
      }
      if (typeof displayName === 'string' && graph.existingDisplayNames.includes(displayName)) {
        return send(res, 409, graphError(409, 'Conflict', `"${displayName}" already exists`));
      }
      graph.restored.push({ path, body });
      return send(res, 201, { id: `restored-${graph.restored.length}`, ...(body as object) });
    }
    return send(res, 404, graphError(404, 'Request_ResourceNotFound'));
  }

  function token(res: ServerResponse, requestedTenant: string, form: Record<string, string> | undefined): void {
    // Entra matches tenant ids case-insensitively.
    const tenant = Object.keys(graph.tenants).find((id) => id.toLowerCase() === requestedTenant.toLowerCase());
    if (!tenant) {
      send(res, 400, aadError('invalid_request', 'AADSTS90002', `Tenant '${requestedTenant}' not found.`));
      return;
    }
    if (form?.grant_type !== 'client_credentials') {
      send(res, 400, aadError('unsupported_grant_type', 'AADSTS70003', 'Unsupported grant type.'));
      return;
    }
    if (form.client_id !== graph.clientId) {
      send(res, 400, aadError('unauthorized_client', 'AADSTS700016', 'Application not found in the directory.'));
      return;
    }
    if (graph.credentialMode === 'expired') {
      send(
        res,
        401,
        aadError(
          'invalid_client',
          'AADSTS7000222',
          `The provided client secret keys for app '${form.client_id}' are expired.`,
        ),
      );
      return;
    }
    if (form.client_secret !== graph.clientSecret) {
      send(res, 401, aadError('invalid_client', 'AADSTS7000215', 'Invalid client secret provided.'));
      return;
    }
    if (graph.credentialMode === 'consent-required') {
      send(
        res,
        400,
        aadError('invalid_grant', 'AADSTS65001', 'The user or administrator has not consented to use the application.'),
      );
      return;
    }
    if (form.scope !== 'https://graph.microsoft.com/.default') {
      send(res, 400, aadError('invalid_scope', 'AADSTS1002012', 'The provided value for scope is not valid.'));
      return;
    }
    const accessToken = `fake-access-token-${++tokenSerial}`;
    issued.set(accessToken, tenant);
    send(res, 200, {
      token_type: 'Bearer',
      expires_in: graph.tokenExpiresIn,
      ext_expires_in: graph.tokenExpiresIn,
      access_token: accessToken,
    });
  }

  return graph;
}

/** Graph-style paging: $skiptoken carries the offset, nextLink is absolute. */
function page<T>(url: URL, items: T[], pageSize: number): { value: T[]; '@odata.nextLink'?: string } {
  const offset = Number(url.searchParams.get('$skiptoken') ?? '0');
  const value = items.slice(offset, offset + pageSize);
  if (offset + pageSize >= items.length) return { value };
  // Built by hand: URLSearchParams would re-encode `$select=a,b` as `%24select=a%2Cb`.
  const params = url.search
    .slice(1)
    .split('&')
    .filter((p) => p !== '' && !p.startsWith('$skiptoken='));
  params.push(`$skiptoken=${offset + pageSize}`);
  return { value, '@odata.nextLink': `${url.origin}${url.pathname}?${params.join('&')}` };
}

const graphError = (status: number, code: string, message = `HTTP ${status}`) => ({ error: { code, message } });

const aadError = (error: string, aadsts: string, text: string) => ({
  error,
  error_description: `${aadsts}: ${text} Trace ID: 00000000-0000-0000-0000-000000000000 Correlation ID: 00000000-0000-0000-0000-000000000000`,
  error_codes: [Number(aadsts.slice(6))],
});

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
