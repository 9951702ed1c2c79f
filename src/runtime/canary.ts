import { createHash } from "node:crypto";

/**
 * The bucket (0–99) a request key falls in. A hash, not a random draw, so one user keeps
 * seeing the same side of a canary on every request and every replica of the app; sha256 so the
 * split is the same in any language that wants to reproduce it (first 4 bytes, big-endian, % 100).
 */
export function bucketOf(key: string): number {
  return createHash("sha256").update(key).digest().readUInt32BE(0) % 100;
}

/** Whether a key falls inside a canary serving `traffic` percent of production requests. */
export function isInCanary(key: string, traffic: number): boolean {
  return traffic > 0 && bucketOf(key) < traffic;
}
