/**
 * Model A student with batch-norm on the representation: f(x) = F BN(G x), where BN standardises each
 * of the k features with the statistics of the batch it is applied to (training-mode batch-norm, no
 * affine parameters, ε = 1e-5 inside the square root). Trained with gradient optimizers (e.g. SGD).
 *
 * With Z = X Gᵀ, Ẑ = (Z − 1μᵀ) diag(σ² + ε)^{-1/2}, R = Y − Ẑ Fᵀ and dẐ = −R F / n:
 * ∇_F = −Rᵀ Ẑ / n,  ∇_G = dZᵀ X,  dZ = (dẐ − 1 mean(dẐ) − Ẑ ⊙ 1 mean(dẐ ⊙ Ẑ)) diag(σ² + ε)^{-1/2}.
 */
import { Mat, frob, matmul, matmulNT, matmulTN } from '../mat.js';
import { checkShapes, type LinearParams, type TwoLayerModel } from './linear.js';

export const BN_EPS = 1e-5;

function normalize(Z: Mat): { Zh: Mat; inv: Float64Array } {
  const n = Z.rows, k = Z.cols, Zh = new Mat(n, k), inv = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let mu = 0;
    for (let i = 0; i < n; i++) mu += Z.data[i * k + j];
    mu /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (Z.data[i * k + j] - mu) ** 2;
    v /= n;
    inv[j] = 1 / Math.sqrt(v + BN_EPS);
    for (let i = 0; i < n; i++) Zh.data[i * k + j] = (Z.data[i * k + j] - mu) * inv[j];
  }
  return { Zh, inv };
}

/** Residual R = Y − Ẑ Fᵀ and the normalised features. */
function forward(p: LinearParams, X: Mat, Y: Mat) {
  const { Zh, inv } = normalize(matmulNT(X, p.G));
  const R = matmulNT(Zh, p.F);
  for (let i = 0; i < R.data.length; i++) R.data[i] = Y.data[i] - R.data[i];
  return { Zh, inv, R };
}

export const batchNormNet: TwoLayerModel = {
  name: 'batchnorm',
  batchNorm: true,
  predict: (p: LinearParams, X: Mat) => matmulNT(normalize(matmulNT(X, p.G)).Zh, p.F),
  loss(p, b) {
    checkShapes(p, b);
    const r = frob(forward(p, b.X, b.Y).R);
    return (r * r) / (2 * b.X.rows);
  },
  grads(p, b) {
    checkShapes(p, b);
    const n = b.X.rows, k = p.G.rows;
    const { Zh, inv, R } = forward(p, b.X, b.Y);
    const fr = frob(R);
    const gF = matmulTN(R, Zh);
    for (let i = 0; i < gF.data.length; i++) gF.data[i] *= -1 / n;
    const dZh = matmul(R, p.F);
    for (let i = 0; i < dZh.data.length; i++) dZh.data[i] *= -1 / n;
    const dZ = new Mat(n, k);
    for (let j = 0; j < k; j++) {
      let m1 = 0, m2 = 0;
      for (let i = 0; i < n; i++) { m1 += dZh.data[i * k + j]; m2 += dZh.data[i * k + j] * Zh.data[i * k + j]; }
      m1 /= n; m2 /= n;
      for (let i = 0; i < n; i++) dZ.data[i * k + j] = (dZh.data[i * k + j] - m1 - Zh.data[i * k + j] * m2) * inv[j];
    }
    return { loss: (fr * fr) / (2 * n), F: gF, G: matmulTN(dZ, b.X) };
  },
};
