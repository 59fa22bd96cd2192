/**
 * Key → partition for the embedded log. FNV-1a over the key's UTF-8 bytes: stable across
 * processes and versions (it decides where a key's records live on disk), cheap, and spreads
 * short ids well. Not Kafka's murmur2 — the two buses never share partitions.
 */
export function partitionForKey(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}
