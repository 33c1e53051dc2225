import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/rng.js';
import { Mat, fromArray } from '../src/mat.js';
import { mm64, singularValues, svd } from '../src/linalg.js';
import { setWasm64Enabled } from '../src/wasm64.js';
import { linearNet } from '../src/models/linear.js';
import { geometricCovariance, haarOrthogonal } from '../src/data/covariance.js';
import { haarOrthonormalRows, makeLinearTeacher, makeTransferTask, sampleLinear } from '../src/data/teachers.js';
import {
  alignment, cosine, fitHead, mse, principalAngles, rowBasis, subspaceDistance, subspaceDistanceTo, trainingLoss, transferLoss, transferLossOnBatches,
} from '../src/metrics.js';

/** Rows c_i e_i + s_i e_{k+i} (i < k) in R^d, rotated by Q: principal angles θ_i to span(Q e_1..Q e_k). */
function anglesExample(thetas: number[], d: number, Q: Mat): { G: Mat; Gs: Mat } {
  const k = thetas.length, G = new Mat(k, d), Gs = new Mat(k, d);
  thetas.forEach((t, i) => { G.set(i, i, Math.cos(t)); G.set(i, k + i, Math.sin(t)); Gs.set(i, i, 1); });
  return { G: mm64(G, Q, false, true), Gs: mm64(Gs, Q, false, true) };
}

test('hand-built 2D example: dist = |sin θ|, principal angle = θ', () => {
  const Gs = fromArray([[1, 0]]);
  for (const t of [0.3, 1.2, Math.PI / 2, 1e-9, 2.5]) {
    const G = fromArray([[Math.cos(t), Math.sin(t)]]);
    // float64 round-off of a 2-vector computation: 1e-15 absolute (including the tiny angle 1e-9,
    // which a 1 − cos² formula would lose entirely).
    assert.ok(Math.abs(subspaceDistance(G, Gs) - Math.abs(Math.sin(t))) < 1e-15, `θ = ${t}`);
    const want = Math.min(t, Math.PI - t);
    assert.ok(Math.abs(principalAngles(G, Gs)[0] - want) < 1e-15 * Math.max(1, want) + 1e-16, `angle θ = ${t}`);
  }
});

test('principal angles are recovered for a rotated multi-angle example, including a tiny one', () => {
  const rng = new Rng(51), d = 7, Q = haarOrthogonal(d, rng);
  const thetas = [1e-8, 0.4, 1.1];
  const { G, Gs } = anglesExample(thetas, d, Q);
  const A = rng.normalMat(3, 3); // invertible a.s.
  const got = principalAngles(mm64(A, G), Gs);
  // Errors: O(κ(A)·d·2⁻⁵³) ≈ 1e-14 on sines/cosines; 1e-12 absolute leaves margin. The 1e-8 angle passes
  // only through the sine branch: cos(1e-8) rounds to 1 in float64, where acos would return 0.
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(got[i] - thetas[i]) < 1e-12, `θ_${i}: ${got[i]} vs ${thetas[i]}`);
  assert.ok(Math.abs(subspaceDistance(G, Gs) - Math.sin(1.1)) < 1e-12);
  // Unequal ranks: a 1-dimensional subspace inside the 3-dimensional span(Gs) has angle 0.
  const inside = mm64(fromArray([[0.3, -2, 0.5]]), Gs);
  assert.ok(principalAngles(inside, Gs)[0] < 1e-12 && principalAngles(Gs, inside).length === 1);
});

test('dist(A G, G*) = dist(G, G*) for invertible A; dist(A G*, G*) = 0; symmetric for equal ranks', () => {
  const rng = new Rng(52), k = 3, d = 10;
  const Gs = haarOrthonormalRows(k, d, rng), G = rng.normalMat(k, d);
  const base = subspaceDistance(G, Gs);
  assert.ok(base > 0.1 && base <= 1);
  for (let t = 0; t < 5; t++) {
    const A = rng.normalMat(k, k);
    // Round-off scales with κ(A) (≤ 1e3 for these 3×3 Gaussian draws): tolerance 1e-11.
    assert.ok(Math.abs(subspaceDistance(mm64(A, G), Gs) - base) < 1e-11);
    assert.ok(subspaceDistance(mm64(A, Gs), Gs) < 1e-13);
  }
  assert.ok(Math.abs(subspaceDistance(Gs, G) - base) < 1e-13);
  // dist is the sine of the largest principal angle
  const ang = principalAngles(G, Gs);
  assert.ok(Math.abs(Math.sin(ang[ang.length - 1]) - base) < 1e-13);
  // a subspace orthogonal to G* is at distance 1
  const Gp = mm64(fromArray([[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]]), haarOrthogonal(d, rng));
  const Q = rowBasis(Gs);
  const proj = mm64(mm64(Gp, Q, false, true), Q); // remove the G* component
  const perp = new Mat(1, d, Gp.data.map((v, i) => v - proj.data[i]));
  assert.ok(Math.abs(subspaceDistance(perp, Gs) - 1) < 1e-13);
});

test('cosine and alignment', () => {
  assert.equal(cosine([1, 0], [0, 1]), 0);
  assert.ok(Math.abs(cosine([1, 1], [1, 0]) - Math.SQRT1_2) < 1e-15);
  assert.ok(Math.abs(cosine([3, -4], [-6, 8]) + 1) < 1e-15);
  assert.ok(Math.abs(alignment([3, -4], [-6, 8]) - 1) < 1e-15);
  assert.throws(() => cosine([0, 0], [1, 0]), RangeError);
  assert.throws(() => cosine([1], [1, 0]), /lengths 1 and 2 differ/);
});

test('training loss equals the model loss and vanishes at the noiseless teacher', () => {
  const rng = new Rng(53);
  const cov = geometricCovariance(6, 10, { rotation: 'haar', rng });
  const t = makeLinearTeacher({ cov, k: 2, dy: 3, kappaF: 3 }, rng);
  const b = sampleLinear(t, 40, rng);
  assert.ok(trainingLoss({ F: t.heads[0], G: t.G }, b) < 1e-28);
  const p = { F: rng.normalMat(3, 2), G: rng.normalMat(2, 6) };
  assert.ok(Math.abs(trainingLoss(p, b) - linearNet.loss(p, b)) < 1e-12 * linearNet.loss(p, b));
  assert.equal(mse([1, 2], [1, 4]), 2);
});

test('transfer loss: zero for G* without noise, invariant to G ↦ A G, OLS risk σ²d_y(1 + k/(n−k−1))/2 with noise', () => {
  const rng = new Rng(54), d = 8, k = 2, dy = 3;
  const cov = geometricCovariance(d, 5, { rotation: 'haar', rng });
  const { source, target } = makeTransferTask({ cov, k, dy, kappaF: 2 }, rng);
  assert.ok(transferLoss(source.G, target, rng, { nFit: 30, nTest: 200 }) < 1e-26);
  const A = rng.normalMat(k, k), G = rng.normalMat(k, d);
  const fit = sampleLinear(target, 50, rng), test_ = sampleLinear(target, 100, rng);
  const l1 = transferLossOnBatches(G, fit, test_), l2 = transferLossOnBatches(mm64(A, G), fit, test_);
  assert.ok(Math.abs(l1 - l2) < 1e-10 * l1);
  assert.ok(l1 > 1e-3); // a random G loses signal
  // With noise σ and G = G*, the fitted head is OLS on k Gaussian features: expected test MSE per output
  // σ²(1 + k/(n−k−1)) (inverse-Wishart mean), loss = dy·that/2. Average over R independent repetitions:
  // each repetition's loss has SD ≲ its mean·√(2/(dy·nTest)) + fit variation; SE from the sample, 5 SE.
  const sigma = 0.5, noisy = { ...target, noise: sigma }, nFit = 10, R = 300;
  let s = 0, s2 = 0;
  for (let r = 0; r < R; r++) { const v = transferLoss(source.G, noisy, rng, { nFit, nTest: 200 }); s += v; s2 += v * v; }
  const m = s / R, se = Math.sqrt((s2 / R - m * m) / R);
  const want = (dy * sigma * sigma * (1 + k / (nFit - k - 1))) / 2;
  assert.ok(Math.abs(m - want) < 5 * se, `mean transfer loss ${m} vs ${want} (SE ${se})`);
  // fitHead: least squares normal equations Zᵀ(Y − Z Fᵀ) = 0
  const F = fitHead(G, fit);
  const Z = mm64(fit.X, G, false, true), Rm = mm64(Z, F, false, true);
  const res = new Mat(Rm.rows, Rm.cols, fit.Y.data.map((v, i) => v - Rm.data[i]));
  const ortho = mm64(Z, res, true, false);
  for (const v of ortho.data) assert.ok(Math.abs(v) < 1e-10);
});

test('bad inputs', () => {
  const rng = new Rng(55);
  assert.throws(() => subspaceDistance(rng.normalMat(2, 4), rng.normalMat(2, 5)), /d = 4, G\* has d = 5/);
  assert.throws(() => subspaceDistance(fromArray([[1, 0, 0], [2, 0, 0]]), rng.normalMat(2, 3)), /full row rank/);
  assert.throws(() => subspaceDistance(rng.normalMat(4, 3), rng.normalMat(2, 3)), /1 <= k <= d/);
  assert.throws(() => subspaceDistance(fromArray([[NaN, 1]]), fromArray([[1, 0]])), /non-finite/);
  const cov = geometricCovariance(4, 2), t = makeLinearTeacher({ cov, k: 2, dy: 2 }, rng);
  assert.throws(() => transferLoss(rng.normalMat(2, 4), t, rng, { nFit: 0, nTest: 5 }), /nFit must be an integer >= 1/);
  assert.throws(() => fitHead(rng.normalMat(2, 4), sampleLinear(t, 1, rng)), /needs n >= k/);
  assert.throws(() => mse([1], [1, 2]), /sizes 1 and 2 differ/);
});

test('subspaceDistanceTo(G*)(G) is subspaceDistance(G, G*) bit for bit, with its errors; singularValues is svd(·).s bit for bit (WebAssembly and JavaScript)', () => {
  const r = new Rng(31);
  for (const [k, d] of [[8, 200], [1, 5], [3, 3], [4, 40]]) {
    const Gs = r.normalMat(k, d), to = subspaceDistanceTo(Gs);
    for (let t = 0; t < 4; t++) {
      const G = t === 3 ? fromArray(Gs.toArray()) : r.normalMat(k, d); // t = 3: the same row space
      assert.ok(Object.is(to(G), subspaceDistance(G, Gs)), `k = ${k}, d = ${d}, draw ${t}`);
    }
  }
  const to = subspaceDistanceTo(r.normalMat(2, 6));
  assert.throws(() => to(r.normalMat(2, 5)), /subspaceDistance: G has d = 5, G\* has d = 6/);
  assert.throws(() => to(new Mat(2, 6)), /subspaceDistance: G must have full row rank/);
  // a rank-deficient G* fails at the first call, after G's own checks, as in subspaceDistance
  const bad = subspaceDistanceTo(new Mat(2, 6));
  assert.throws(() => bad(r.normalMat(3, 5)), /G has d = 5/);
  assert.throws(() => bad(r.normalMat(2, 6)), /full row rank/);
  // with the WebAssembly bidiagonalisation (the default) and with the JavaScript loops
  for (const on of [true, false]) {
    setWasm64Enabled(on);
    try {
      for (const [m, n] of [[200, 8], [8, 200], [30, 30], [5, 1], [1, 5], [12, 7]]) {
        const a = r.normalMat(m, n);
        if (m === 12) for (let j = 0; j < n; j++) a.data[3 * n + j] = a.data[j]; // a repeated row
        const s = singularValues(a), ref = svd(a).s;
        assert.equal(s.length, ref.length);
        for (let i = 0; i < s.length; i++) assert.ok(Object.is(s[i], ref[i]), `${m}x${n}: value ${i}`);
      }
      // many shapes and scales, zero rows/columns, a zero matrix, repeated values: against ml-matrix's SVD
      for (let trial = 0; trial < 300; trial++) {
        const m = 1 + (trial % 13), n = 1 + ((trial * 7) % 11), a = r.normalMat(m, n, 10 ** ((trial % 9) * 40 - 160));
        if (trial % 5 === 1) for (let i = 0; i < m; i++) a.data[i * n] = 0;
        if (trial % 7 === 2) a.data.fill(0);
        if (trial % 11 === 3) for (let i = 0; i < Math.min(m, n); i++) for (let j = 0; j < n; j++) a.data[i * n + j] = i === j ? 2 : 0;
        const s = singularValues(a), ref = svd(a).s;
        assert.equal(s.length, ref.length);
        for (let i = 0; i < s.length; i++) if (!Object.is(s[i], ref[i])) assert.fail(`trial ${trial} (${m}x${n}): value ${i} ${s[i]} vs ${ref[i]}`);
      }
    } finally {
      setWasm64Enabled(true);
    }
  }
  assert.throws(() => singularValues(new Mat(0, 3)), /non-empty/);
  const low = mm64(r.normalMat(9, 2), r.normalMat(2, 6)); // rank 2
  const sl = singularValues(low), rl = svd(low).s;
  for (let i = 0; i < sl.length; i++) assert.ok(Object.is(sl[i], rl[i]));
  assert.ok(sl[2] < 1e-12 * sl[0]);
});
