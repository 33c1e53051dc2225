import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/rng.js';
import { Mat, matmul } from '../../src/mat.js';
import { mm64 } from '../../src/linalg.js';
import { covPower, geometricCovariance, twoLevelCovariance, type Covariance } from '../../src/data/covariance.js';
import { sampleInputs, secondMoment } from '../../src/data/inputs.js';

/**
 * Σ̂ = XᵀX/n against Σ entry by entry. For Gaussian x, Var(x_i x_j) = Σ_ii Σ_jj + Σ_ij², so
 * SE(Σ̂_ij) = √((Σ_ii Σ_jj + Σ_ij²)/n). For Rademacher-coloured x the fourth cumulant of s is −2 and
 * Var(x_i x_j) = Σ_ii Σ_jj + Σ_ij² − 2 Σ_k A_ik² A_jk² (A = Σ^{1/2}) is smaller, so the Gaussian SE is
 * conservative. Tolerance 5 SE: by the CLT each entry exceeds it with probability ≈ 6e-7; a union bound
 * over the d(d+1)/2 = 36 entries keeps a false failure below 3e-5. A wrong colouring (e.g. Σ instead of
 * Σ^{1/2}, i.e. sampling Σ²) moves diagonal entries by up to λ − λ² = 0.25 ≫ 5 SE ≈ 0.035.
 */
function checkCovariance(X: Mat, c: Covariance, label: string): void {
  const n = X.rows, S = secondMoment(X), d = c.d;
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) {
    const s = c.sigma.get(i, j), se = Math.sqrt((c.sigma.get(i, i) * c.sigma.get(j, j) + s * s) / n);
    assert.ok(Math.abs(S.get(i, j) - s) < 5 * se, `${label} Σ̂_${i}${j} = ${S.get(i, j)} vs Σ = ${s} (5 SE = ${5 * se})`);
  }
  // Means: SE(x̄_j) = √(Σ_jj/n), same 5-SE rule.
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let k = 0; k < n; k++) m += X.get(k, j);
    m /= n;
    assert.ok(Math.abs(m) < 5 * Math.sqrt(c.sigma.get(j, j) / n), `${label} mean_${j} = ${m}`);
  }
}

test('empirical covariance of Gaussian and Rademacher samples converges to Σ (rotated and axis-aligned)', () => {
  const rng = new Rng(21), n = 20000;
  const rot = geometricCovariance(8, 10, { rotation: 'haar', rng });
  const axis = twoLevelCovariance(8, 9, 0.5);
  for (const law of ['gaussian', 'rademacher'] as const) {
    checkCovariance(sampleInputs(rot, n, rng, law), rot, `rotated ${law}`);
    checkCovariance(sampleInputs(axis, n, rng, law), axis, `axis ${law}`);
  }
});

test('Rademacher law is x = Σ^{1/2} s with the symmetric root: X Σ^{-1/2} has entries exactly ±1', () => {
  const rng = new Rng(22);
  const c = geometricCovariance(6, 20, { rotation: 'haar', rng });
  const S = mm64(sampleInputs(c, 50, rng, 'rademacher'), covPower(c, -0.5));
  // Round-off of two O(d)-term float64 products with κ = 20: ≤ 1e-12. (A non-symmetric root Q diag(√λ)
  // would give entries far from ±1.)
  for (const v of S.data) assert.ok(Math.abs(Math.abs(v) - 1) < 1e-12, `entry ${v}`);
});

test('axis-aligned sampling scales the columns of the same draws; rotated sampling multiplies by Σ^{1/2}', () => {
  const axis = twoLevelCovariance(5, 4, 0.4);
  const X = sampleInputs(axis, 30, new Rng(5));
  const Z = new Rng(5).normalMat(30, 5);
  for (let k = 0; k < 30; k++) for (let j = 0; j < 5; j++) assert.equal(X.get(k, j), Z.get(k, j) * Math.sqrt(axis.values[j]));
  const rot = geometricCovariance(5, 3, { rotation: 'haar', rng: new Rng(1) });
  const Y = sampleInputs(rot, 30, new Rng(6));
  assert.deepEqual(Array.from(Y.data), Array.from(matmul(new Rng(6).normalMat(30, 5), rot.sqrt).data));
});

test('secondMoment is XᵀX/n and symmetric; same seed gives identical samples', () => {
  const rng = new Rng(8);
  const c = geometricCovariance(4, 5, { rotation: 'haar', rng });
  const X = sampleInputs(c, 13, rng);
  const S = secondMoment(X), P = mm64(X, X, true, false);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) {
    assert.equal(S.get(i, j), S.get(j, i));
    assert.ok(Math.abs(S.get(i, j) - P.get(i, j) / 13) < 1e-15 * 13);
  }
  assert.deepEqual(Array.from(sampleInputs(c, 7, new Rng(3), 'rademacher').data), Array.from(sampleInputs(c, 7, new Rng(3), 'rademacher').data));
});

test('bad inputs throw RangeError', () => {
  const c = geometricCovariance(3, 2);
  assert.throws(() => sampleInputs(c, 0, new Rng(1)), /n must be an integer >= 1, got 0/);
  assert.throws(() => sampleInputs(c, 2.5, new Rng(1)), RangeError);
  assert.throws(() => sampleInputs(c, 4, new Rng(1), 'uniform' as never), /law must be 'gaussian' or 'rademacher'/);
});

test('a rotated Gaussian batch drawn into the product\'s module is Z·Σ^½ of the same draws, bit for bit, on every route of the product', async () => {
  // (n, d): 64×20 and 8×64 go to the float64 kernel (small products), 256×200 to the float32 one, 40×20 to
  // the JavaScript loop (no module: the draws come out to JavaScript, as before); the hand-back path too.
  const { setWedgeGuardForTests } = await import('../../src/rng.js');
  const { initBackend } = await import('../../src/backend.js');
  await initBackend('simd'); // the engine whose routes are tested (float64 and float32 kernels)
  try {
    for (const guard of [undefined, Infinity]) {
      setWedgeGuardForTests(guard);
      for (const [n, d] of [[64, 20], [8, 64], [256, 200], [40, 20]] as const) {
        const c = geometricCovariance(d, 50, { rotation: 'haar', rng: new Rng(d) });
        const a = new Rng(n + d), b = new Rng(n + d);
        for (let t = 0; t < 2; t++) {
          const X = sampleInputs(c, n, a), want = matmul(b.normalMat(n, d), c.sqrt);
          for (let i = 0; i < X.data.length; i++) if (!Object.is(X.data[i], want.data[i])) assert.fail(`${n}×${d}, guard ${guard ?? 'default'}, batch ${t}: entry ${i} differs`);
          assert.equal(a.nextU32(), b.nextU32());
        }
      }
    }
  } finally {
    setWedgeGuardForTests();
    await initBackend('js64');
  }
});
