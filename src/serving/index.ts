export { Instance, type InstanceObserver, type InstanceOptions } from './instance.js';
export { Sequence, type ServedRequest } from './sequence.js';
export { KvCache } from './kv-cache.js';
export type { KvManager } from './kv-manager.js';
export type { Scheduler, SchedulerEvents } from './scheduler.js';
export { VllmScheduler } from './vllm-scheduler.js';
export { VLLM_DEFAULTS, type EngineConfig } from './engine-config.js';
export type { Engine, RankHint } from './engine.js';
export { DpGroup, type RankLoad, type RankPicker } from './dp-group.js';
export { SglangScheduler } from './sglang-scheduler.js';
export { RadixCache, RadixNode } from './radix-cache.js';
export {
  SGLANG_DEFAULTS,
  SGLANG_PAGE_SIZE,
  SGLANG_SCHEDULE_POLICIES,
  sglangChunkedPrefillSize,
  sglangMemFractionStatic,
  type SglangConfig,
  type SglangSchedulePolicy,
} from './sglang-config.js';
export { engineConfigFrom, SGLANG_ONLY, VLLM_ONLY, type EngineSettings } from './engine-settings.js';
