/**
 * Sets `key` in a Map used as a bounded memo: at `limit` entries the oldest-inserted one leaves
 * first (a Map iterates in insertion order), so what clients send can fill it but never grow it.
 */
export function setWithLimit<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  if (!map.has(key) && map.size >= limit) map.delete(map.keys().next().value!);
  map.set(key, value);
}
