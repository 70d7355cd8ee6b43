// The process-level guards (src/process-guards.ts, installed first thing by src/main.ts): an
// error nothing handled becomes one JSON fatal line, a bounded graceful close, and exit code 1,
// instead of a raw stack on stderr or a process that limps on. Run in a child node process, as
// the guards act on the process itself.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

async function runGuarded(
  body: string,
  graceMs = 2_000,
): Promise<{ code: number | null; records: Record<string, any>[] }> {
  const script = `
    import { createLogger } from './src/logger.js';
    import { installProcessGuards } from './src/process-guards.js';
    const log = createLogger('info');
    // A body may replace the graceful close (globalThis.stopImpl) before it fails.
    const stop = async () => log.info('closed gracefully');
    installProcessGuards(log, () => (globalThis.stopImpl ?? stop)(), ${graceMs});
    log.info('guards installed');
    ${body}
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  const records = out
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, any>;
      } catch {
        throw new Error(`not a JSON log line: ${line}\n--- whole output:\n${out}`);
      }
    });
  return { code, records };
}

describe('process guards', () => {
  it('an unhandled rejection: JSON fatal line with the error, graceful close, exit 1', async () => {
    const { code, records } = await runGuarded(`Promise.reject(new Error('boom'));`);
    expect(code).toBe(1);
    const msgs = records.map((r) => r.msg);
    expect(msgs).toContain('guards installed'); // positive control: the child ran and logged (stdout order under load is not guaranteed)
    const fatal = records.find((r) => r.level === 60);
    expect(fatal).toMatchObject({
      msg: 'unhandled promise rejection: exiting',
      err: { message: 'boom', type: 'Error' },
    });
    expect(msgs.indexOf('closed gracefully')).toBeGreaterThan(msgs.indexOf(fatal!.msg));
  });

  it('an uncaught exception in a callback: the same', async () => {
    const { code, records } = await runGuarded(`setTimeout(() => { throw new TypeError('kaboom'); }, 10);`);
    expect(code).toBe(1);
    expect(records.find((r) => r.level === 60)).toMatchObject({
      msg: 'uncaught exception: exiting',
      err: { message: 'kaboom', type: 'TypeError' },
    });
    expect(records.map((r) => r.msg)).toContain('closed gracefully');
  });

  it('a close that hangs does not keep the process: it exits 1 after the grace period', async () => {
    const { code, records } = await runGuarded(
      `globalThis.stopImpl = () => new Promise(() => {}); setInterval(() => {}, 1000); Promise.reject(new Error('boom'));`,
      300,
    );
    expect(code).toBe(1);
    const msgs = records.map((r) => r.msg);
    expect([...msgs].sort()).toEqual([
      'graceful close took too long: exiting without it',
      'guards installed',
      'unhandled promise rejection: exiting',
    ]);
    expect(msgs.indexOf('graceful close took too long: exiting without it')).toBeGreaterThan(
      msgs.indexOf('unhandled promise rejection: exiting'),
    );
  });
});
