export { EventQueue, type EventHandler } from './event-queue.js';
export { Simulator } from './simulator.js';
export { randomStream, exponential, type Random } from './random.js';
