import seedrandom from 'seedrandom';

/**
 * A uniform random source in [0, 1). `skip(n)`, where present, advances it by `n` draws without
 * producing them (the same state as `n` calls).
 */
export interface Random {
  (): number;
  skip?(n: number): void;
}

/**
 * A named random stream derived from the run seed. Each consumer (an arrival process, a length
 * sampler, the router) draws from its own stream, so adding draws in one place does not shift
 * the numbers another place sees.
 */
export function randomStream(seed: number | string, name: string): Random {
  // Alea: fast, well distributed, and seedable from a string (the outputs of seedrandom.alea).
  const rng = new AleaStream(`${seed}/${name}`);
  const random: Random = () => rng.next();
  random.skip = (n: number) => rng.skip(n);
  return random;
}

/** Exponential variate with the given rate (mean 1/rate). */
export function exponential(random: Random, rate: number): number {
  return -Math.log(1 - random()) / rate;
}

/**
 * seedrandom's Alea stream (`seedrandom.alea(seed)`: the generator and its outputs are the
 * library's) with `skip(n)`, so that a caller that must advance the stream without using the
 * values (a draw whose outcome is known to change nothing) need not make a call per draw.
 *
 * Alea's step is exact integer arithmetic in doubles: with x_i = s_i * 2^32 (integers below
 * b = 2^32) and carry c, t = a x_{n-2} + c_n (a = 2091639, below 2^53), x_{n+1} = t mod b,
 * c_{n+1} = floor(t / b) (seedrandom@3.0.5 lib/alea.js). That is a lag-3 multiply-with-carry
 * generator, equivalent to the multiplicative congruential generator Z_{n+1} = b^-1 Z_n mod m,
 * m = a b^3 - 1, on Z_n = c_n b^3 + x_n b^2 + x_{n-1} b + x_{n-2} (from b Z_{n+1} = Z_n +
 * x_{n-2} m; Couture and L'Ecuyer 1997). A long skip multiplies Z by b^-n mod m and restarts the
 * library's generator from that state instead of stepping n times.
 */
export class AleaStream {
  private rng: seedrandom.StatefulPRNG<seedrandom.State.Alea>;

  constructor(seed: string) {
    this.rng = seedrandom.alea(seed, { state: true });
  }

  /** The next uniform number in [0, 1). */
  next(): number {
    return this.rng();
  }

  /** Advances the stream by `n` draws, as `n` calls of next() would. */
  skip(n: number): void {
    if (n >= JUMP_FROM) this.jump(n);
    else for (let i = 0; i < n; i++) this.rng();
  }

  /** n steps at once: Z <- Z b^-n mod m (see the class comment). */
  private jump(n: number): void {
    const { c, s0, s1, s2 } = this.rng.state();
    const z0 = (BigInt(c) << 96n) | (BigInt(s2 * TWO32) << 64n) | (BigInt(s1 * TWO32) << 32n) | BigInt(s0 * TWO32);
    const z = (z0 * backward(n)) % M;
    const state: seedrandom.State.Alea = {
      s0: Number(z & WORD) / TWO32,
      s1: Number((z >> 32n) & WORD) / TWO32,
      s2: Number((z >> 64n) & WORD) / TWO32,
      c: Number(z >> 96n),
    };
    this.rng = seedrandom.alea('', { state });
  }
}

const TWO32 = 0x100000000;
const B = 0x100000000n;
const WORD = 0xffffffffn;
/** The modulus of the equivalent congruential generator, a b^3 - 1 (prime). */
const M = 2091639n * B * B * B - 1n;
/** From this many draws on a skip multiplies (a few BigInt products) instead of stepping. */
const JUMP_FROM = 128;

/**
 * b^-(2^j) mod m for j = 0, 1, ...: squarings of b^-1, which is a b^2 (b a b^2 = m + 1). Built
 * on the first long skip, not at start-up.
 */
let halvings: bigint[] | undefined;
function halving(j: number): bigint {
  if (!halvings) {
    halvings = [];
    for (let i = 0, p = 2091639n * B * B; i < 53; i++, p = (p * p) % M) halvings.push(p);
  }
  return halvings[j];
}

/** b^-n mod m, remembered for the counts seen (a queue skips the same few counts again and again). */
const backwardMemo = new Map<number, bigint>();
function backward(n: number): bigint {
  let r = backwardMemo.get(n);
  if (r !== undefined) return r;
  r = 1n;
  for (let j = 0, k = n; k > 0; j++, k = Math.floor(k / 2)) if (k % 2 === 1) r = (r * halving(j)) % M;
  if (backwardMemo.size >= 4096) backwardMemo.clear();
  backwardMemo.set(n, r);
  return r;
}
