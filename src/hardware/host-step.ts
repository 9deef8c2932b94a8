/**
 * Host time per engine step: the engine's loop around the forward pass (scheduler pass,
 * input preparation, launching the forward, sampling, collecting outputs). It belongs to the
 * engine version and the host CPU, not to the GPU: per-kernel profiles cannot see it, so it is
 * fitted end to end (`sim fidelity --fit`, docs/fidelity.md).
 */
export interface HostStep {
  /** Per step, whatever the batch, seconds. */
  baseS: number;
  /** Per sequence in the step, seconds. */
  perSeqS: number;
}

/**
 * vLLM v0.15.1 with async scheduling on H100 hosts: `sim fidelity --fit` on the 15 training
 * runs (sim2real_trainval) puts the optimum at 0.25 ms per step and 0 per sequence
 * (docs/fidelity.md). Used for every GPU and for SGLang too, where no run separates it.
 */
export const FITTED_HOST_STEP: Readonly<HostStep> = Object.freeze({ baseS: 0.25e-3, perSeqS: 0 });
