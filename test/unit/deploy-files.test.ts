// The container files, checked against the code they describe (no Docker daemon or compose plugin
// on these machines, so `docker compose config` cannot run): the compose topology, every variable it
// sets being one the configuration knows and accepts, Prometheus scraping exactly the atlas
// processes on the ports they serve, and every metric an alert rule names being one we export.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { Metrics } from '../../src/metrics/metrics.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const compose = parse(read('docker-compose.yml'), { merge: true });
const prometheus = parse(read('deploy/prometheus.yml'));
const alerts = parse(read('deploy/alerts.yml'));

type Service = {
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  image?: string;
  secrets?: string[];
};
const services = compose.services as Record<string, Service>;
const atlas = Object.entries(services).filter(([, s]) => s.image === 'atlas-gate:local');
/** `${VAR:?message}` and `${VAR:-default}` as docker compose would fill them for a valid deployment. */
const interpolate = (value: string) =>
  String(value).replace(/\$\{(\w+)(?::[-?]([^}]*))?\}/g, (_, name: string, fallback: string) =>
    name === 'JWT_SECRET' || name === 'METRICS_TOKEN' ? `${name.toLowerCase()}-for-the-compose-check` : fallback,
  );

describe('docker-compose.yml', () => {
  it('runs PostgreSQL, Redis, a one-shot migration, two APIs on different host ports, two workers and Prometheus', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['api-1', 'api-2', 'console', 'migrate', 'postgres', 'prometheus', 'redis', 'worker-1', 'worker-2'].sort(),
    );
    expect(services.migrate.command).toEqual(['node', 'dist/src/main.js', '--role=migrate']);
    for (const api of ['api-1', 'api-2']) {
      expect(services[api].environment?.WORKERS).toBe('off');
      expect(services[api].command).toBeUndefined(); // the image's CMD: node dist/src/main.js
    }
    expect(new Set(['api-1', 'api-2'].map((api) => services[api].ports?.[0].split(':')[0])).size).toBe(2);
    for (const worker of ['worker-1', 'worker-2']) {
      expect(services[worker].command).toEqual(['node', 'dist/src/main.js', '--role=worker']);
      expect(services[worker].environment?.METRICS_PORT).toBeDefined();
    }
  });

  it('sets only variables the configuration knows, with values it accepts', () => {
    for (const [name, service] of atlas) {
      const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));
      const config = loadConfig(env) as Record<string, unknown>;
      const unknown = Object.keys(env).filter((key) => !(key in config));
      expect({ name, unknown }).toEqual({ name, unknown: [] });
      expect(config.NODE_ENV).toBe('production');
      expect(service.environment?.NODE_ENV).toBe('production'); // set, not left to a default
      expect(config.DEV_SIGN_IN).toBe('off'); // no token minting in a deployment
    }
  });
});

describe('deploy/prometheus.yml and deploy/alerts.yml', () => {
  it('scrapes every API on its PORT and every worker on its METRICS_PORT, with the token', () => {
    const targets = prometheus.scrape_configs.flatMap(
      (job: { static_configs: { targets: string[] }[]; authorization?: { credentials_file?: string } }) => {
        expect(job.authorization?.credentials_file).toBe('/run/secrets/metrics_token');
        return job.static_configs.flatMap((c) => c.targets);
      },
    );
    const expected = atlas
      .filter(([name]) => name !== 'migrate')
      .map(([name, s]) => `${name}:${s.environment?.METRICS_PORT ?? s.environment?.PORT ?? 4000}`);
    expect(targets.sort()).toEqual(expected.sort());
    expect(prometheus.rule_files).toEqual(['alerts.yml']);
    expect(services.prometheus.secrets).toEqual(['metrics_token']);
  });

  it('alerts only on metrics the processes export', () => {
    const exported = new Metrics({ processMetrics: true }).registry.getMetricsAsArray().flatMap((m) => {
      const { name, type } = m as unknown as { name: string; type: string };
      return type === 'histogram' ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name];
    });
    const rules = alerts.groups.flatMap((g: { rules: { alert: string; expr: string }[] }) => g.rules);
    expect(rules.length).toBeGreaterThan(5);
    for (const rule of rules) {
      const named = [...rule.expr.matchAll(/\b((?:atlas|graphql|process|nodejs)_\w+)/g)].map((m) => m[1]);
      expect({ alert: rule.alert, missing: named.filter((n) => !exported.includes(n)) }).toEqual({
        alert: rule.alert,
        missing: [],
      });
    }
  });
});

describe('Dockerfile', () => {
  it('builds in one stage and runs the compiled code in another, as a non-root user with production dependencies only', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile.match(/^FROM /gm)?.length).toBe(4); // build, console-build, console, runtime (last: the default image)
    expect(
      dockerfile
        .trim()
        .split(/^FROM /m)
        .at(-1),
    ).toMatch(/^node:20\S* AS runtime/);
    expect(dockerfile).toMatch(/npx prisma generate && npm run build && npm prune --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENV NODE_ENV=production /m); // every command of the image runs as production
    expect(dockerfile).toMatch(/^HEALTHCHECK [\s\S]*?\/health/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/src\/main\.js"\]$/m);
  });
});

describe('the console service', () => {
  it("is the Dockerfile console target on PUBLIC_APP_URL's default port, calling an API replica by its host port", () => {
    const consoleService = compose.services.console as {
      build: { target: string; args: Record<string, string> };
      ports: string[];
    };
    expect(read('Dockerfile')).toMatch(/^FROM \S+ AS console$/m);
    expect(consoleService.build.target).toBe('console');
    expect(consoleService.ports).toEqual(['5173:80']);
    expect(new URL(loadConfig({}).PUBLIC_APP_URL).port).toBe('5173');
    const apiPort = new URL(consoleService.build.args.VITE_API_URL).port;
    expect(services['api-1'].ports?.[0].split(':')[0]).toBe(apiPort);
    // Every SPA route falls back to index.html, so a run link opened directly shows that run.
    expect(read('deploy/console-nginx.conf')).toMatch(/try_files \$uri \/index\.html;/);
  });
});
