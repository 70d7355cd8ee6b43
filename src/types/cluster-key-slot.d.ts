// cluster-key-slot (ioredis' own dependency) ships no types: the Redis Cluster hash slot of a key.
declare module 'cluster-key-slot' {
  /** The slot (0-16383) of a key, honouring its hash tag. */
  function calculateSlot(key: string | Buffer): number;
  export default calculateSlot;
}
