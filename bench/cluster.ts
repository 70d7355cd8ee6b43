// The cluster section of `npm run bench`: how many commands each master of a private Redis
// Cluster processed during a phase (INFO stats' total_commands_processed, before and after), so a
// hot shard shows next to the phase's figures.
import { Redis } from 'ioredis';

export type MasterShare = { port: number; commands: number; share: number };

export class MasterCommands {
  private readonly clients: Redis[];

  constructor(ports: number[]) {
    this.clients = ports.map((port) => new Redis({ host: '127.0.0.1', port, lazyConnect: false }));
  }

  private async counts(): Promise<number[]> {
    return Promise.all(
      this.clients.map(async (c) => Number(/total_commands_processed:(\d+)/.exec(await c.info('stats'))![1])),
    );
  }

  /** `run`'s result with the commands each master processed while it ran (this counter's own INFO calls excluded). */
  async during<T extends object>(run: () => Promise<T>): Promise<T & { commandsPerMaster: MasterShare[] }> {
    const before = await this.counts();
    const result = await run();
    const after = await this.counts();
    // Each count includes the INFO that read it: one per reading.
    const spent = after.map((n, i) => n - before[i] - 1);
    const total = spent.reduce((a, b) => a + b, 0) || 1;
    return {
      ...result,
      commandsPerMaster: spent.map((commands, i) => ({
        port: this.clients[i].options.port!,
        commands,
        share: Math.round((commands / total) * 100) / 100,
      })),
    };
  }

  close(): void {
    for (const c of this.clients) c.disconnect();
  }
}
