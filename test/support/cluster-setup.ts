// The cluster lane's global setup (vitest project `cluster`): one private 3-master Redis Cluster
// on free ports for the whole run, handed to every test world (test/support/world.ts) and to the
// processes they spawn as REDIS_CLUSTER_NODES; shut down (by pid) when the run ends. The shared
// Redis on 6379 is never touched.
import type { TestProject } from 'vitest/node';
import { startPrivateCluster } from './private-services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** REDIS_CLUSTER_NODES of the cluster lane's private cluster; undefined in the other lanes. */
    redisClusterNodes: string | undefined;
  }
}

export default async function setup(project: TestProject) {
  const cluster = await startPrivateCluster(3);
  project.provide('redisClusterNodes', cluster.nodes);
  return () => cluster.close();
}
