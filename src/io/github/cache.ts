import type { Snapshot } from "./snapshot.js";

/** A Map that forgets its oldest entries beyond `limit` (insertion order, refreshed on read). */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly limit: number) {}

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.limit) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.map.delete(oldest.value);
    }
  }
}

/**
 * What the bot remembers between commands, only ever keyed by content-addressed git objects, so
 * nothing here can go stale: a blob sha always names the same text, a file at a commit never
 * changes, and a snapshot is used only when the branch still points at its commit (checked with
 * one request per command). The bot stays stateless in the sense that matters: any replica can
 * serve any command, a cold cache only costs requests.
 */
export class RepoCache {
  /** blob sha → text */
  readonly blobs = new LruMap<string, string>(1024);
  /** `owner/repo@commit:path` → text at that commit, or null when the file did not exist */
  readonly fileAtCommit = new LruMap<string, string | null>(4096);
  /** `owner/repo` → the snapshot of the newest head seen */
  readonly snapshots = new LruMap<string, Snapshot>(256);
}
