/**
 * The bucket (0–99) a request key falls in. A hash, not a random draw, so one user keeps
 * seeing the same side of a canary on every request and every replica of the app; sha256 so the
 * split is the same in any language that wants to reproduce it (first 4 bytes, big-endian, % 100).
 */
export declare function bucketOf(key: string): number;
/** Whether a key falls inside a canary serving `traffic` percent of production requests. */
export declare function isInCanary(key: string, traffic: number): boolean;
