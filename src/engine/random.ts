import { AleaStream } from './alea-stream.js';

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
