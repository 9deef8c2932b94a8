export { Instance, type InstanceObserver, type InstanceOptions } from './instance.js';
export { Sequence, type ServedRequest } from './sequence.js';
export { KvCache } from './kv-cache.js';
export type { KvManager } from './kv-manager.js';
export type { Scheduler, SchedulerEvents } from './scheduler.js';
export { VllmScheduler } from './vllm-scheduler.js';
export { VLLM_DEFAULTS, type EngineConfig } from './engine-config.js';
export type { Engine, RankHint } from './engine.js';
export { DpGroup, type RankLoad, type RankPicker } from './dp-group.js';
