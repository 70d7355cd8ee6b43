// `npm run build [-- <outDir>]`: compiles src/ (and the database scripts) with tsc into dist/, then
// copies what the compiled code reads at run time that tsc does not emit: the SQL migrations, which
// src/db/migrate.ts finds next to itself (<outDir>/prisma/migrations). Plain node, no dev loader.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const outDir = path.resolve(root, process.argv[2] ?? 'dist');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

if (root === outDir || !path.relative(outDir, root).startsWith('..'))
  throw new Error(`refusing to build into ${outDir}: it would replace the project itself`);
rmSync(outDir, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', outDir], {
  stdio: 'inherit',
});
cpSync(path.join(root, 'prisma/migrations'), path.join(outDir, 'prisma/migrations'), { recursive: true });
console.log(
  `built ${path.relative(root, outDir) || '.'}: node ${path.relative(root, path.join(outDir, 'src/main.js'))}`,
);
