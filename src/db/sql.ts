// Plain SQL on the shared pg pool, for the hot paths that skip the Prisma client (the gate's
// admission and run transitions; see README "Performance").
import type pg from 'pg';

/** A connection a transaction runs on. */
export type SqlTx = Pick<pg.PoolClient, 'query'>;

/**
 * Runs `body` on one pooled connection; `body` opens and ends its own transaction (so it can
 * batch BEGIN with its first statement). On an error the transaction is rolled back, and a
 * connection that cannot even roll back is dropped from the pool instead of reused.
 */
export async function onConnection<T>(pool: pg.Pool, body: (tx: SqlTx) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    const result = await body(client);
    client.release();
    return result;
  } catch (err) {
    const broken = await client.query('ROLLBACK').then(
      () => false,
      () => true,
    );
    client.release(broken);
    throw err;
  }
}
