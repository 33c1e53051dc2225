/**
 * The Kronecker-factor block on matrices with known spectra: A = Q diag(λ) Qᵀ with Q Haar-random.
 * Tolerances (js64, float64): powers of a 5×5 factor with eigenvalues in [0.01, 4] are accurate to
 * κ·n·1e-16 ≈ 2e-13 relative; 1e-11 leaves a margin. Eigenvectors with gaps ≥ 0.5 are accurate to
 * ~1e-15/gap: 1e-12.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mat, eye, matmul, matmulTN, scale } from '../../src/mat.js';
import { Rng } from '../../src/rng.js';
import { haarOrthogonal } from '../../src/data/covariance.js';
import {
  applyLeft, applyRight, averageFactor, factorInit, refresh, refreshDue, stepFactor, updateEstimate, dampedPower,
  dampedPowerRoot, rootLeft, rootMatrix, rootRight, type FactorState,
} from '../../src/optim/factor.js';
import { maxDiff, withSpectrum } from './_helpers.js';

const rng = new Rng(4242);
const Q = haarOrthogonal(5, rng);
const LAMBDA = [4, 2, 1, 0.5, 0.01];
const A = withSpectrum(Q, LAMBDA);
const fresh = (a: Mat): FactorState => updateEstimate(factorInit(), a, { kind: 'ema', decay: 0, start: 'first' });

test('powers −1 (Cholesky), −1/2 and −1/4 (eigen), with and without damping, match Q diag(f(λ)) Qᵀ', () => {
  const V = rng.normalMat(5, 3);
  for (const damping of [0, 0.1]) {
    for (const power of [-1, -0.5, -0.25]) {
      const s = refresh(fresh(A), { power, rankDeficiency: { kind: 'damping', damping } });
      assert.equal(s.cache!.kind, power === -1 ? 'cholesky' : 'matrix');
      const expected = withSpectrum(Q, LAMBDA.map((l) => (l + damping) ** power));
      const left = applyLeft(s, V), right = applyRight(s, transpose(V));
      assert.ok(maxDiff(left, matmul(expected, V)) < 1e-11, `left, p=${power}, λ=${damping}: ${maxDiff(left, matmul(expected, V))}`);
      assert.ok(maxDiff(right, matmul(transpose(V), expected)) < 1e-11, `right, p=${power}, λ=${damping}`);
    }
  }
});

test('dampedPowerRoot: applied from either side it is Q diag(f(λ)) Qᵀ to 1e-11 (damped and pseudo-inverse); p = 0 returns V itself', () => {
  // float64 throughout: the factored eigendecomposition carries a few ulps per reflector and rotation,
  // the powers here are at most 100 (0.01^{-1}), so 1e-11 is ~10⁴ ulps of the largest entry
  const V = rng.normalMat(5, 3), Vt = transpose(V);
  for (const damping of [0, 0.1]) {
    for (const power of [-1, -0.5, -0.25]) {
      const r = dampedPowerRoot(A, power, { kind: 'damping', damping });
      const expected = withSpectrum(Q, LAMBDA.map((l) => (l + damping) ** power));
      assert.ok(maxDiff(rootLeft(r, V), matmul(expected, V)) < 1e-11, `left, p=${power}, λ=${damping}`);
      assert.ok(maxDiff(rootRight(r, Vt), matmul(Vt, expected)) < 1e-11, `right, p=${power}, λ=${damping}`);
      assert.ok(maxDiff(rootMatrix(r), dampedPower(A, power, { kind: 'damping', damping })) < 1e-11, `matrix, p=${power}, λ=${damping}`);
    }
  }
  const S = withSpectrum(Q, [4, 1, 0, 0, 0]);
  const pinv = dampedPowerRoot(S, -0.5, { kind: 'pseudo-inverse', rcond: 1e-12 });
  assert.ok(maxDiff(rootMatrix(pinv), withSpectrum(Q, [0.5, 1, 0, 0, 0])) < 1e-10);
  const id = dampedPowerRoot(A, 0, { kind: 'damping', damping: 0 });
  assert.equal(rootLeft(id, V), V);
  assert.equal(rootRight(id, Vt), Vt);
  assert.equal(maxDiff(rootMatrix(id), eye(5)), 0);
});

function transpose(m: Mat): Mat {
  const t = new Mat(m.cols, m.rows);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) t.data[j * m.rows + i] = m.data[i * m.cols + j];
  return t;
}

test('eigenbasis: columns are A’s eigenvectors, eigenvalues descending (up to sign)', () => {
  const s = refresh(fresh(A), { basis: 'eigh' });
  assert.equal(s.cache!.kind, 'basis');
  const B = s.cache!.kind === 'basis' ? s.cache!.Q : eye(5);
  const D = matmulTN(B, matmul(A, B));
  for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) assert.ok(Math.abs(D.get(i, j) - (i === j ? LAMBDA[i] : 0)) < 1e-12, `D[${i},${j}]`);
  // applyLeft with a basis cache rotates into it: Qᵀ A Q = diag(λ)
  assert.ok(maxDiff(applyRight(s, applyLeft(s, A)), D) < 1e-12);
});

test('rank-deficient factors: the pseudo-inverse power drops eigenvalues ≤ rcond·λ_max; undamped Cholesky refuses', () => {
  const lam = [4, 1, 1e-14, 0, 0];
  const S = withSpectrum(Q, lam);
  for (const power of [-1, -0.5, -0.25]) {
    const s = refresh(fresh(S), { power, rankDeficiency: { kind: 'pseudo-inverse', rcond: 1e-12 } });
    const expected = withSpectrum(Q, lam.map((l) => (l > 4e-12 ? l ** power : 0)));
    assert.ok(maxDiff(applyLeft(s, eye(5)), expected) < 1e-11, `p=${power}: ${maxDiff(applyLeft(s, eye(5)), expected)}`);
  }
  // A looser cut keeps the 1e-14 eigenvalue only when it is above rcond·λ_max
  const keep = dampedPower(withSpectrum(Q, [4, 1, 1e-3, 0, 0]), -1, { kind: 'pseudo-inverse', rcond: 1e-6 });
  assert.ok(maxDiff(keep, withSpectrum(Q, [0.25, 1, 1e3, 0, 0])) < 1e-8);
  // p = −1 with damping 0 is the exact (Cholesky) inverse and says so on a singular factor
  assert.throws(() => refresh(fresh(S), { power: -1, rankDeficiency: { kind: 'damping', damping: 0 } }), /not positive definite/);
  // damping makes it invertible: (S + λI)^{-1}
  const d = refresh(fresh(S), { power: -1, rankDeficiency: { kind: 'damping', damping: 0.5 } });
  assert.ok(maxDiff(applyLeft(d, eye(5)), withSpectrum(Q, lam.map((l) => 1 / (l + 0.5)))) < 1e-12);
});

test('estimates: EMA from the first statistic (KFAC), EMA from zero (Shampoo), sum, lerp arithmetic', () => {
  const a1 = rng.normalMat(3, 3), a2 = rng.normalMat(3, 3), beta = 0.75;
  const combo = (x: number, y: number) => { const m = new Mat(3, 3); for (let i = 0; i < 9; i++) m.data[i] = x * a1.data[i] + y * a2.data[i]; return m; };
  const first = { kind: 'ema', decay: beta, start: 'first' } as const, zero = { kind: 'ema', decay: beta, start: 'zero' } as const;
  assert.equal(averageFactor(null, a1, first), a1);
  assert.ok(maxDiff(averageFactor(a1, a2, first), combo(beta, 1 - beta)) < 1e-15);
  assert.ok(maxDiff(averageFactor(null, a1, zero), scale(a1, 1 - beta)) === 0);
  assert.ok(maxDiff(averageFactor(averageFactor(null, a1, zero), a2, zero), combo(beta * (1 - beta), 1 - beta)) < 1e-15);
  assert.ok(maxDiff(averageFactor(averageFactor(null, a1, { kind: 'sum' }), a2, { kind: 'sum' }), combo(1, 1)) === 0);
  const lerp = { ...zero, arithmetic: 'lerp' } as const;
  assert.ok(maxDiff(averageFactor(averageFactor(null, a1, lerp), a2, lerp), combo(beta * (1 - beta), 1 - beta)) < 1e-15);
});

test('refresh schedule: cached powers recomputed at estimates 1, 1 + k, 1 + 2k, … and reused in between', () => {
  const k = 3, o = { average: { kind: 'ema', decay: 0, start: 'first' } as const, every: k, root: { power: -1, rankDeficiency: { kind: 'damping', damping: 0 } } as const };
  let s = factorInit();
  const refreshedAt: number[] = [];
  for (let t = 1; t <= 7; t++) {
    const stat = withSpectrum(Q, LAMBDA.map((l) => l * t));
    const before = s.cache;
    s = stepFactor(s, stat, o);
    if (s.cache !== before) refreshedAt.push(t);
    // the cache always inverts the estimate of the last refresh
    const last = refreshedAt[refreshedAt.length - 1];
    assert.ok(maxDiff(applyLeft(s, eye(5)), withSpectrum(Q, LAMBDA.map((l) => 1 / (l * last)))) < 1e-11);
  }
  assert.deepEqual(refreshedAt, [1, 4, 7]);
  assert.equal(refreshDue({ estimate: null, count: 5, cache: null }, 10), true); // no cache yet: always due
});

test('KFAC with n < d: the undamped Cholesky inverse refuses Σ̂; factorInverse "pseudo-inverse" steps with Σ̂⁺', async () => {
  const { kfac } = await import('../../src/optim/kfac.js');
  const { linearNet } = await import('../../src/models/linear.js');
  const { gram, axpy } = await import('../../src/mat.js');
  const { cholSolve } = await import('../../src/linalg.js');
  const r = new Rng(77), d = 8, n = 5;
  const X = r.normalMat(n, d), Y = r.normalMat(n, 4), p = { F: r.normalMat(4, 3), G: r.normalMat(3, d) };
  assert.throws(() => kfac({ lr: 0.5 }).step(p, { X, Y }, kfac().init(p), linearNet), /not positive definite/);
  const opt = kfac({ lr: 0.5, factorInverse: 'pseudo-inverse' });
  const out = opt.step(p, { X, Y }, opt.init(p), linearNet);
  const g = linearNet.grads(p, { X, Y });
  const SigmaPinv = dampedPower(gram(X, 1 / n), -1, { kind: 'pseudo-inverse', rcond: 1e-12 });
  const expectG = axpy(-0.5, cholSolve(matmulTN(p.F, p.F), matmul(g.G, SigmaPinv)), p.G);
  // Σ̂ has rank 5 with eigenvalues O(1): its pseudo-inverse and the 3×3 solve are accurate to ~1e-13
  assert.ok(maxDiff(out.params.G, expectG) < 1e-10, `${maxDiff(out.params.G, expectG)}`);
  assert.ok(out.params.F.data.every(Number.isFinite));
});
