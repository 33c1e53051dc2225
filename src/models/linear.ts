/**
 * Model A student: the two-layer linear network f(x) = F G x, optionally with batch-norm on G x:
 * f(x) = F BN(G x), BN standardising each of the k features over the batch (no affine part).
 *
 * Loss on a batch (X n×d, Y n×d_y): L̂ = ||Y − X Gᵀ Fᵀ||²_F / (2n). With R = Y − X Gᵀ Fᵀ:
 * ∇_G L̂ = −Fᵀ Rᵀ X / n,  ∇_F L̂ = −Rᵀ X Gᵀ / n.
 */
import { Mat, matmul, matmulTN, matmulNT, frob } from '../mat.js';
import type { Batch } from '../data/teachers.js';

export type { Batch };

export interface LinearParams { F: Mat; G: Mat } // F: d_y×k, G: k×d
export interface Grads { loss: number; F: Mat; G: Mat }

/** A model is its loss and gradients with respect to (F, G). */
export interface TwoLayerModel {
  readonly name: string;
  readonly batchNorm: boolean;
  predict(p: LinearParams, X: Mat): Mat;
  loss(p: LinearParams, b: Batch): number;
  grads(p: LinearParams, b: Batch): Grads;
}

export function checkShapes(p: LinearParams, b: Batch): void {
  const { F, G } = p, { X, Y } = b;
  if (F.cols !== G.rows) throw new RangeError(`params: F is ${F.rows}x${F.cols} but G is ${G.rows}x${G.cols} (F.cols must equal G.rows = k)`);
  if (X.cols !== G.cols) throw new RangeError(`batch: X has ${X.cols} columns, G expects d = ${G.cols}`);
  if (Y.cols !== F.rows) throw new RangeError(`batch: Y has ${Y.cols} columns, F expects d_y = ${F.rows}`);
  if (X.rows !== Y.rows) throw new RangeError(`batch: X has ${X.rows} rows, Y has ${Y.rows}`);
  if (X.rows <= 0) throw new RangeError(`batch: n must be > 0, got ${X.rows}`);
}

/** Plain linear network F G. */
export const linearNet: TwoLayerModel = {
  name: 'linear',
  batchNorm: false,
  predict: (p, X) => matmulNT(matmulNT(X, p.G), p.F),
  loss(p, b) {
    checkShapes(p, b);
    // ||Y − Ŷ||_F as frob(sub(Y, Ŷ)) computes it (squares summed in order, then the root), without the copy
    const P = this.predict(p, b.X).data, y = b.Y.data;
    let s = 0;
    for (let i = 0; i < P.length; i++) { const v = y[i] - P[i]; s += v * v; }
    const r = Math.sqrt(s);
    return (r * r) / (2 * b.X.rows);
  },
  grads(p, b) {
    checkShapes(p, b);
    const n = b.X.rows;
    const Z = matmulNT(b.X, p.G); // n×k
    const R = matmulNT(Z, p.F); // n×d_y: Ŷ, then R = Y − Ŷ in place
    for (let i = 0, r = R.data, y = b.Y.data; i < r.length; i++) r[i] = y[i] - r[i];
    const fr = frob(R);
    const gF = matmulTN(R, Z); // d_y×k = Rᵀ X Gᵀ
    const RF = matmul(R, p.F); // n×k
    const gG = matmulTN(RF, b.X); // k×d = Fᵀ Rᵀ X
    const s = -1 / n;
    for (let i = 0; i < gF.data.length; i++) gF.data[i] *= s;
    for (let i = 0; i < gG.data.length; i++) gG.data[i] *= s;
    return { loss: (fr * fr) / (2 * n), F: gF, G: gG };
  },
};
