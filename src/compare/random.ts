/**
 * A small seeded PRNG (sfc32, seeded through splitmix32). Statistics must be reproducible: the same
 * runs and seed give the same interval on every machine, so the bootstrap cannot use Math.random.
 * Integer-only arithmetic (Math.imul, >>> 0) keeps the stream identical across platforms.
 */
export interface Random {
  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** A uniform float in [0, 1). */
  nextFloat(): number;
  /** A uniform integer in [0, n), for n ≤ 2^21 exact (multiply-high, no modulo bias worth noting). */
  nextInt(n: number): number;
  /** Fills `out` with uniform integers in [0, n): the bootstrap's hot loop, without a call per draw. */
  fillInts(out: Int32Array, n: number): void;
}

export function createRandom(seed: number): Random {
  // splitmix32 spreads any seed (even 0 or 1) over the whole state.
  let s = seed >>> 0;
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = 1;
  const nextUint32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Discard the first outputs: sfc32 mixes its state in the first few rounds.
  for (let i = 0; i < 12; i++) nextUint32();
  return {
    nextUint32,
    nextFloat: () => nextUint32() / 4294967296,
    nextInt: (n: number) => Math.floor((nextUint32() * n) / 4294967296),
    fillInts: (out: Int32Array, n: number) => {
      // The same sfc32 step as nextUint32, on locals, so V8 keeps the state in registers.
      let sa = a;
      let sb = b;
      let sc = c;
      let sd = d;
      for (let i = 0; i < out.length; i++) {
        const t = (((sa + sb) | 0) + sd) | 0;
        sd = (sd + 1) | 0;
        sa = sb ^ (sb >>> 9);
        sb = (sc + (sc << 3)) | 0;
        sc = (sc << 21) | (sc >>> 11);
        sc = (sc + t) | 0;
        out[i] = ((t >>> 0) * n) / 4294967296;
      }
      a = sa;
      b = sb;
      c = sc;
      d = sd;
    },
  };
}

/** A 32-bit FNV-1a hash, to derive a per-prompt default seed from its name. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
