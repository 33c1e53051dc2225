/**
 * A kernel thread (started by src/node/threads.ts): loads the kernels on the shared memory, then
 * sleeps until the calling thread posts a plan, computes its share by the plan's phase (P.PHASE in
 * kernels.ts: a product's row tiles, eigSym's QL rotations on a range of V's columns, `reluGradient`'s
 * rows, a triangular solve's panels, or the blocks of rows it claims of a pipelined product), and counts
 * itself done. It never returns to its event loop after 'ready': every exchange goes through the shared
 * control block.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { gemmRows, P, packRange, pipelineRows, rotSweepsRange, solvePanelsRange } from '../kernels.js';
import { reluRowsRange } from '../kernels32.js';
import { setRelaxedSimd, useSharedKernels, wasm32, wasm64 } from '../wasm64.js';
import { COUNTERS_AT, CTL, SPIN, type KernelThreadsData } from './threads.js';

const d = workerData as KernelThreadsData;
if (!useSharedKernels(d.memory, d.relaxed)) {
  parentPort!.postMessage({ type: 'fail', error: 'the shared-memory kernels did not load' });
} else {
  const ctl = new Int32Array(d.ctl), plan = new Float64Array(d.plan), bounds = new Int32Array(d.bounds);
  const counters = new Int32Array(d.ctl, COUNTERS_AT, 2);
  let gen = Atomics.load(ctl, CTL.GEN); // before 'ready': the first plan may be posted as soon as it arrives
  parentPort!.postMessage({ type: 'ready' });
  for (;;) {
    let s = 0;
    while (Atomics.load(ctl, CTL.GEN) === gen) if (++s > SPIN) Atomics.wait(ctl, CTL.GEN, gen);
    gen = Atomics.load(ctl, CTL.GEN);
    if (Atomics.load(ctl, CTL.STOP) !== 0) break;
    try {
      const kind = plan[P.KIND], t0 = bounds[d.index], t1 = bounds[d.index + 1];
      // KIND: 0 float64, 3 float64 on the fused twins, 1 float32 core, 2 float32 relaxed
      const f64 = kind === 0 || kind === 3;
      if (!f64) setRelaxedSimd(kind === 2);
      const w64 = f64 ? wasm64()! : null, w32 = f64 ? null : wasm32()!;
      const w = (w64 ?? w32)!, gemm = w64 ? (kind === 3 ? w64.gemm64f : w64.gemm64) : w32!.gemm32;
      if (plan[P.PHASE] === 2) rotSweepsRange(w64!, plan, t0, t1);
      else if (plan[P.PHASE] === 3) reluRowsRange(w32!, plan, t0, t1);
      else if (plan[P.PHASE] === 4) solvePanelsRange(w64!, plan, t0, t1);
      else if (plan[P.PHASE] === 5) pipelineRows(w, gemm, plan, counters);
      else if (plan[P.PHASE] === 0) packRange(w, plan, d.index, d.count);
      else if (t1 > t0) gemmRows(w, gemm, plan, t0, t1);
    } catch (e) {
      Atomics.store(ctl, CTL.ERR, 1);
      process.stderr.write(`[layerwise-precond] kernel thread ${d.index}: ${(e as Error).stack ?? e}\n`);
    }
    Atomics.add(ctl, CTL.DONE, 1);
    Atomics.notify(ctl, CTL.DONE);
  }
}
