// The rules code and tests cite live in the repository (docs/behaviour.md): every citation names a
// heading that exists, and nothing cites a document the repository does not hold.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(ROOT, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.(ts|tsx|prisma|graphql)$/.test(e.name))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)))
    .filter((file) => !file.includes('generated') && file !== 'test/unit/behaviour-doc.test.ts');
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes. */
const anchorOf = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');

describe('docs/behaviour.md', () => {
  it('every docs/behaviour.md#anchor cited in src, test, prisma and the console is a heading of it; nothing cites the external contract file', async () => {
    const doc = await readFile(path.join(ROOT, 'docs/behaviour.md'), 'utf8');
    const anchors = new Set([...doc.matchAll(/^#{2,3} (.+)$/gm)].map((m) => anchorOf(m[1])));
    const files = (await Promise.all(['src', 'test', 'prisma', 'examples/console/src'].map(sources))).flat();
    const cited = new Map<string, string>();
    for (const file of files) {
      const text = await readFile(path.join(ROOT, file), 'utf8');
      for (const m of text.matchAll(/docs\/behaviour\.md#([a-z0-9-]+)/g)) cited.set(m[1], file);
      expect(text.includes('CONTRACT' + '.md'), file).toBe(false);
    }
    expect(cited.size).toBeGreaterThan(5);
    for (const [anchor, file] of cited) expect(anchors.has(anchor), `${file} cites #${anchor}`).toBe(true);
  });
});
