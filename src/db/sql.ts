// Plain SQL on the shared pg pool, for the hot paths that skip the Prisma client (the gate's
// admission and run transitions; see README "Performance").
import type pg from 'pg';

/** A connection a transaction runs on. */
export type SqlTx = Pick<pg.PoolClient, 'query'>;

/**
 * Runs `body` on one pooled connection; `body` opens and ends its own transaction (so it can
 * batch BEGIN with its first statement). On an error the transaction is rolled back, and a
 * connection that cannot even roll back is dropped from the pool instead of reused.
 *
 * While a client is checked out pg-pool takes its own 'error' listener off, and pg emits 'error'
 * on every connection that ends unexpectedly (a server killed or restarted), even with a query
 * in flight: without a listener of ours that is an uncaught exception that kills the process.
 * The listener only takes note; the statement in flight (or the next one) rejects with the
 * connection error, which callers classify as the database being unavailable (unavailable.ts).
 */
export async function onConnection<T>(pool: pg.Pool, body: (tx: SqlTx) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onLost = (err: Error) => void (lost = err);
  client.on('error', onLost);
  // release() puts pg-pool's idle listener back in the same tick, so the client is never without one.
  const giveBack = (broken: boolean) => {
    client.release(broken || lost !== undefined);
    client.removeListener('error', onLost);
  };
  try {
    const result = await body(client);
    giveBack(false);
    return result;
  } catch (err) {
    const broken =
      lost !== undefined ||
      (await client.query('ROLLBACK').then(
        () => false,
        () => true,
      ));
    giveBack(broken);
    throw err;
  }
}
