import seedrandom from 'seedrandom';

/** A uniform random source in [0, 1). */
export type Random = () => number;

/**
 * A named random stream derived from the run seed. Each consumer (an arrival process, a length
 * sampler, the router) draws from its own stream, so adding draws in one place does not shift
 * the numbers another place sees.
 */
export function randomStream(seed: number | string, name: string): Random {
  // Alea: fast, well distributed, and seedable from a string.
  const rng = seedrandom.alea(`${seed}/${name}`);
  return () => rng();
}

/** Exponential variate with the given rate (mean 1/rate). */
export function exponential(random: Random, rate: number): number {
  return -Math.log(1 - random()) / rate;
}
