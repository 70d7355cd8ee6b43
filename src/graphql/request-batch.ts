// Per-request batching for fields that would otherwise cost a query per parent object (the start
// previews of every tenant in a list). GraphQL resolves the items of a list in one synchronous
// pass, so every key asked for in that pass is loaded by one call, after the pass (as DataLoader
// schedules it). Batches live as long as the request's context object.
type Waiting<K, V> = { key: K; resolve: (value: V) => void; reject: (err: unknown) => void };

/** Loads the keys in order; an Error in a key's place is that key's own failure. */
export type BatchLoad<K, V> = (keys: K[]) => Promise<(V | Error)[]>;

export class RequestBatch<K, V> {
  private waiting: Waiting<K, V>[] | null = null;

  constructor(private readonly load: BatchLoad<K, V>) {}

  get(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      if (!this.waiting) {
        this.waiting = [];
        void Promise.resolve().then(() => process.nextTick(() => void this.flush()));
      }
      this.waiting.push({ key, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.waiting ?? [];
    this.waiting = null;
    try {
      const values = await this.load(batch.map((w) => w.key));
      batch.forEach((w, i) => {
        const value = values[i];
        if (value instanceof Error) w.reject(value);
        else w.resolve(value);
      });
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
}

const perRequest = new WeakMap<object, Map<string, RequestBatch<unknown, unknown>>>();

/** The request's batch of that name, created on first use. */
export function requestBatch<K, V>(context: object, name: string, load: BatchLoad<K, V>): RequestBatch<K, V> {
  let batches = perRequest.get(context);
  if (!batches) perRequest.set(context, (batches = new Map()));
  let batch = batches.get(name);
  if (!batch) batches.set(name, (batch = new RequestBatch(load as BatchLoad<unknown, unknown>)));
  return batch as RequestBatch<K, V>;
}
