// redlock 5.0.0-beta.2 ships its typings at dist/index.d.ts but its package.json "exports" do
// not point to them, so NodeNext resolution cannot find them. This declares the part we use.
declare module 'redlock' {
  import type { EventEmitter } from 'node:events';
  import type { Cluster, Redis as Single } from 'ioredis';
  type Redis = Single | Cluster;

  export type ExecutionStats = {
    readonly membershipSize: number;
    readonly quorumSize: number;
    readonly votesFor: Set<Redis>;
    readonly votesAgainst: Map<Redis, Error>;
  };
  export type Settings = {
    readonly driftFactor: number;
    readonly retryCount: number;
    readonly retryDelay: number;
    readonly retryJitter: number;
    readonly automaticExtensionThreshold: number;
  };
  export class ResourceLockedError extends Error {}
  export class ExecutionError extends Error {
    readonly attempts: ReadonlyArray<Promise<ExecutionStats>>;
  }
  export class Lock {
    readonly resources: string[];
    readonly value: string;
    expiration: number;
    release(): Promise<unknown>;
    extend(duration: number): Promise<Lock>;
  }
  export default class Redlock extends EventEmitter {
    constructor(clients: Iterable<Redis>, settings?: Partial<Settings>);
    acquire(resources: string[], duration: number, settings?: Partial<Settings>): Promise<Lock>;
    release(lock: Lock, settings?: Partial<Settings>): Promise<unknown>;
  }
}
