// Reading a process's /metrics (Prometheus text format) in tests: one sample by its exact label set.

export async function scrape(baseUrl: string, token?: string): Promise<string> {
  const res = await fetch(`${baseUrl}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (res.status !== 200) throw new Error(`GET ${baseUrl}/metrics answered ${res.status}`);
  return res.text();
}

export type Sample = { labels: Record<string, string>; value: number };

/** Every sample of `name` with its labels (for sums across label sets and processes). */
export function samples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const pairs = [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key, value]);
    out.push({ labels: Object.fromEntries(pairs), value: Number(match[3]) });
  }
  return out;
}

/**
 * The value of the sample `name` whose labels are exactly `labels` (no more, no fewer), or
 * undefined when there is none: a counter never incremented for that label set has no sample.
 */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const same = (found: Record<string, string>) =>
    Object.keys(found).length === Object.keys(labels).length &&
    Object.entries(labels).every(([key, value]) => found[key] === value);
  return samples(text, name).find((s) => same(s.labels))?.value;
}

/** The sum of `name` over all its samples whose labels include `labels`. */
export function total(text: string, name: string, labels: Record<string, string> = {}): number {
  return samples(text, name)
    .filter((s) => Object.entries(labels).every(([key, value]) => s.labels[key] === value))
    .reduce((sum, s) => sum + s.value, 0);
}
