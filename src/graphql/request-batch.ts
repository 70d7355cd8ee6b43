// Per-request batching for fields that would otherwise cost a query per parent object (the start
// previews of every tenant in a list): one DataLoader per request and name, so every key asked for
// in one resolution pass is loaded by one call. Keys are objects compared by identity, so nothing
// is cached across calls (`cache: false`); a batch lives as long as the request's context object.
import DataLoader from 'dataloader';

/** Loads the keys in order; an Error in a key's place is that key's own failure. */
export type BatchLoad<K, V> = (keys: K[]) => Promise<(V | Error)[]>;

const perRequest = new WeakMap<object, Map<string, DataLoader<unknown, unknown>>>();

/** The request's loader of that name, created on first use. */
export function requestBatch<K, V>(context: object, name: string, load: BatchLoad<K, V>): DataLoader<K, V> {
  let loaders = perRequest.get(context);
  if (!loaders) perRequest.set(context, (loaders = new Map()));
  let loader = loaders.get(name);
  if (!loader) {
    loader = new DataLoader<K, V>((keys) => load([...keys]), { cache: false }) as DataLoader<unknown, unknown>;
    loaders.set(name, loader);
  }
  return loader as DataLoader<K, V>;
}
