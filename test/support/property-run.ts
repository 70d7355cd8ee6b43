// How a fast-check property file runs: PROPERTY_RUNS scenarios (else the file's default), from
// PROPERTY_SEED and PROPERTY_PATH when given (to replay a failure), else from a fresh seed.

export type PropertyRun = { numRuns: number; seed: number; path: string | undefined };

export function propertyRun(defaultRuns: number): PropertyRun {
  const { PROPERTY_RUNS, PROPERTY_SEED, PROPERTY_PATH } = process.env;
  return {
    numRuns: Number(PROPERTY_RUNS ?? defaultRuns),
    seed: PROPERTY_SEED !== undefined ? Number(PROPERTY_SEED) : (Date.now() ^ (Math.random() * 0x100000000)) | 0,
    path: PROPERTY_PATH,
  };
}

/** One line naming the seed (and path) that replays this run. */
export const describeRun = (name: string, { numRuns, seed, path }: PropertyRun) =>
  `${name}: seed ${seed}${path ? `, path ${path}` : ''}, ${numRuns} runs (PROPERTY_SEED=${seed} reproduces this sequence)`;
