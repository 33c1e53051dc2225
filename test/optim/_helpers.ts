/** Shared fixtures for the optimizer tests (not a test file: the runner picks up `*.test.ts` only). */
import { Mat, matmul, matmulNT, transpose } from '../../src/mat.js';
import { orthonormalRows } from '../../src/linalg.js';
import { Rng } from '../../src/rng.js';
import type { Batch, LinearParams, TwoLayerModel } from '../../src/models/linear.js';
import type { MatrixTransform, Optimizer } from '../../src/optim/types.js';

/** max_ij |a_ij − b_ij|; throws on a shape mismatch so a wrong shape cannot pass. */
export function maxDiff(a: Mat, b: Mat): number {
  if (a.rows !== b.rows || a.cols !== b.cols) throw new Error(`shapes ${a.rows}x${a.cols} and ${b.rows}x${b.cols} differ`);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) { const d = Math.abs(a.data[i] - b.data[i]); if (!(d <= m)) m = d; }
  return m;
}


/** Q diag(λ) Qᵀ. */
export function withSpectrum(Q: Mat, lambda: number[]): Mat {
  const n = Q.rows, QD = new Mat(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) QD.data[i * n + j] = Q.data[i * n + j] * lambda[j];
  return matmulNT(QD, Q);
}

/** U diag(s) Vᵀ for U m×r, V n×r. */
export function fromSvd(U: Mat, s: number[], V: Mat): Mat {
  const US = U.clone();
  for (let i = 0; i < U.rows; i++) for (let j = 0; j < U.cols; j++) US.data[i * U.cols + j] *= s[j];
  return matmulNT(US, V);
}

/** A small noiseless Model A problem (d = 6, k = 2, d_y = 3, n = 20) and a random start. */
export function modelAProblem(seed: number, d = 6, k = 2, dy = 3, n = 20): { params: LinearParams; batch: Batch } {
  const rng = new Rng(seed);
  const Gs = orthonormalRows(rng.normalMat(k, d));
  const Fs = rng.normalMat(dy, k);
  const X = rng.normalMat(n, d);
  const Y = matmulNT(matmulNT(X, Gs), Fs);
  return { params: { F: rng.normalMat(dy, k, 0.5), G: rng.normalMat(k, d, 0.5) }, batch: { X, Y } };
}

/** Run `steps` optimizer steps on one batch; returns the parameter trajectory and losses. */
export function run(opt: Optimizer<any>, model: TwoLayerModel, params: LinearParams, batch: Batch, steps: number) {
  let p = params, s = opt.init(params);
  const traj: LinearParams[] = [p], losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const r = opt.step(p, batch, s, model);
    p = r.params; s = r.state; traj.push(p); losses.push(r.loss);
  }
  return { traj, losses, state: s };
}

/** Feed a fixed gradient sequence to a transform (weight held at `w`); returns the updates. */
export function feed<S>(t: MatrixTransform<S>, w: Mat, grads: Mat[]): { us: Mat[]; states: S[] } {
  let s = t.init(w);
  const us: Mat[] = [], states: S[] = [];
  grads.forEach((g, i) => { const r = t.update(g, s, w, i + 1); us.push(r.u); s = r.state; states.push(s); });
  return { us, states };
}

export { matmul, transpose };
