import '../../src/node/backend.js'; // turns on relaxed SIMD in Node 20 (the simd-fma engine) before any module is compiled
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/rng.js';
import { Mat } from '../../src/mat.js';
import { mm64 } from '../../src/linalg.js';
import { geometricCovariance } from '../../src/data/covariance.js';
import { secondMoment } from '../../src/data/inputs.js';
import { makeSingleIndexTeacher, sampleSingleIndex } from '../../src/data/teachers.js';
import {
  adamFirstStep, features, fitSecondLayer, gradientW, initSingleIndexNet, oneStep, oneStepExperiment, plainStep,
  preconditionedStep, predict, selectRidge, spikeVector, testError, topRightSingularVector, type SingleIndexNet,
} from '../../src/models/singleIndex.js';
import { alignment, mse } from '../../src/metrics.js';

const lossOf = (net: SingleIndexNet, X: Mat, y: Float64Array): number => {
  // L̂ with training-mode BN statistics (those of X), as gradientW uses
  const f = predict({ ...net, bnStats: null }, X);
  let s = 0;
  for (let k = 0; k < y.length; k++) s += (y[k] - f[k]) ** 2;
  return s / (2 * y.length);
};

function problem(seed: number, d = 5, n = 9) {
  const rng = new Rng(seed);
  const cov = geometricCovariance(d, 10, { rotation: 'haar', rng });
  const t = makeSingleIndexTeacher({ cov, link: 'tanh', noise: 0.2 }, rng);
  return { rng, cov, t, b: sampleSingleIndex(t, n, rng) };
}

test('∇_W L̂ matches central finite differences (tanh, softplus; plain and batch-norm)', () => {
  const { rng, b } = problem(61);
  for (const activation of ['tanh', 'softplus'] as const) for (const batchNorm of [false, true]) {
    const net = initSingleIndexNet(5, 4, rng, { activation, batchNorm });
    // a larger second layer so that the loss depends visibly on W
    const big = { ...net, a: net.a.map((v) => v * 4) };
    const g = gradientW(big, b.X, b.y);
    assert.ok(Math.abs(g.loss - lossOf(big, b.X, b.y)) < 1e-15);
    const h = 1e-5;
    for (let i = 0; i < big.W.data.length; i++) {
      const p = big.W.clone(), m = big.W.clone();
      p.data[i] += h; m.data[i] -= h;
      const fd = (lossOf({ ...big, W: p }, b.X, b.y) - lossOf({ ...big, W: m }, b.X, b.y)) / (2 * h);
      // central differences: truncation O(h²) ≈ 1e-10, cancellation O(ε/h) ≈ 1e-11
      assert.ok(Math.abs(fd - g.grad.data[i]) < 1e-8, `${activation} bn=${batchNorm} W[${i}]: fd ${fd} vs ${g.grad.data[i]}`);
    }
  }
});

test('initialisation scales: W₀ entries N(0, 1/d), a_i = ±1/√N', () => {
  const rng = new Rng(62), d = 50, N = 400;
  const net = initSingleIndexNet(d, N, rng);
  let s2 = 0;
  for (const v of net.W.data) s2 += v * v;
  const m2 = s2 / (N * d);
  // mean of Nd = 20000 draws of w² (variance 2/d²): SE = (1/d)√(2/(Nd)) ; 5 SE
  assert.ok(Math.abs(m2 - 1 / d) < (5 / d) * Math.sqrt(2 / (N * d)), `E w² = ${m2}`);
  for (const v of net.a) assert.equal(Math.abs(v), 1 / Math.sqrt(N));
  const ga = initSingleIndexNet(d, N, rng, { secondLayer: 'gaussian' }).a;
  let q = 0;
  for (const v of ga) q += v * v;
  assert.ok(Math.abs(q - 1) < 5 * Math.sqrt(2 / N)); // ||a||² = χ²_N/N
});

test('preconditioned, Adam and plain updates: exact algebraic relations', () => {
  const { rng, b } = problem(63, 6, 40);
  const net = initSingleIndexNet(6, 10, rng, { activation: 'relu' });
  const eta = 3, lambda = 0.1;
  const plain = oneStep(net, b.X, b.y, 'plain', { eta });
  const pre = oneStep(net, b.X, b.y, 'preconditioned', { eta, lambda });
  const adam = oneStep(net, b.X, b.y, 'adam', { eta: 0.01 });
  const P = secondMoment(b.X);
  for (let i = 0; i < 6; i++) P.data[i * 6 + i] += lambda;
  const back = mm64(pre.update, P);
  // U_pre (Σ̂ + λI) = η g = U_plain, up to Cholesky round-off (κ(Σ̂ + λI) ≤ 1e2): 1e-12 relative
  let scale = 0;
  for (const v of plain.update.data) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < back.data.length; i++) assert.ok(Math.abs(back.data[i] - plain.update.data[i]) < 1e-12 * scale);
  for (let i = 0; i < plain.grad.data.length; i++) {
    const g = plain.grad.data[i];
    assert.equal(plain.update.data[i], eta * g);
    assert.equal(adam.update.data[i], g === 0 ? 0 : 0.01 * Math.sign(g)); // B5: first Adam step = η·sign(g)
    assert.equal(plain.net.W.data[i], net.W.data[i] - eta * g);
  }
  assert.deepEqual(Array.from(plainStep(net, b.X, b.y, eta).W.data), Array.from(plain.net.W.data));
  assert.deepEqual(Array.from(preconditionedStep(net, b.X, b.y, eta, lambda).W.data), Array.from(pre.net.W.data));
  assert.deepEqual(Array.from(adamFirstStep(net, b.X, b.y, 0.01).W.data), Array.from(adam.net.W.data));
  assert.equal(plain.net.a, net.a); // the second layer is fixed during the step
});

test('the step is a rank-one spike along the predicted right vector (plain: h, preconditioned: Σ̂⁻¹h, Adam: sign h)', () => {
  const rng = new Rng(64), d = 30;
  const cov = geometricCovariance(d, 50, { rotation: 'haar', rng });
  const t = makeSingleIndexTeacher({ cov, link: 'relu', noise: 0.1 }, rng);
  const b = sampleSingleIndex(t, 3000, rng);
  const net = initSingleIndexNet(d, 200, rng, { activation: 'tanh' });
  const h = spikeVector(b.X, b.y, 'plain'), hp = spikeVector(b.X, b.y, 'preconditioned'), hs = spikeVector(b.X, b.y, 'adam');
  const vPlain = topRightSingularVector(oneStep(net, b.X, b.y, 'plain', { eta: 10 }).update);
  const vPre = topRightSingularVector(oneStep(net, b.X, b.y, 'preconditioned', { eta: 10 }).update);
  const vAdam = topRightSingularVector(oneStep(net, b.X, b.y, 'adam', { eta: 0.1 }).update);
  // At n/d = 100 the non-rank-one part of the gradient is small (measured σ₂/σ₁ ≈ 0.04 for the plain and
  // preconditioned steps, 0.15 for Adam); the top right singular vector is then within ~0.05 rad of the
  // predicted vector: cos > 0.99 (Adam: 0.97; measured 0.998, 0.998, 0.997). The alternatives are far
  // apart on this rotated κ = 50 problem (measured |cos(h, Σ̂⁻¹h)| ≈ 0.76), so the assertions cannot pass
  // with the wrong vector.
  assert.ok(alignment(vPlain.v, h) > 0.99, `plain ${alignment(vPlain.v, h)}`);
  assert.ok(alignment(vPre.v, hp) > 0.99, `pre ${alignment(vPre.v, hp)}`);
  assert.ok(alignment(vAdam.v, hs) > 0.97, `adam ${alignment(vAdam.v, hs)}`);
  assert.ok(alignment(h, hp) < 0.85, `h vs Σ̂⁻¹h ${alignment(h, hp)}`);
  assert.ok(alignment(vPlain.v, hp) < 0.85 && alignment(vPre.v, h) < 0.85);
  assert.ok(vPlain.s2 < 0.2 * vPlain.s1);
  // preconditioned spike vector solves (Σ̂ + λI) v = h
  const S = secondMoment(b.X), back = mm64(S, new Mat(d, 1, hp));
  for (let i = 0; i < d; i++) assert.ok(Math.abs(back.data[i] - h[i]) < 1e-12);
  // diagonal (feature-standardised) variant
  const hd = spikeVector(b.X, b.y, 'diagonal', 0.5);
  for (let i = 0; i < d; i++) assert.ok(Math.abs(hd[i] * (S.get(i, i) + 0.5) - h[i]) < 1e-14);
});

test('ridge second layer: normal equations hold; selectRidge picks the validation minimum; RF baseline runs', () => {
  const { rng, t } = problem(65, 8, 10);
  const tr = sampleSingleIndex(t, 120, rng), va = sampleSingleIndex(t, 80, rng);
  const net = initSingleIndexNet(8, 30, rng);
  const rho = 0.05, fitted = fitSecondLayer(net, tr.X, tr.y, rho);
  const Phi = features(fitted, tr.X), n = 120;
  const f = predict(fitted, tr.X);
  // (1/n) Φᵀ(y − Φa) = ρ a (stationarity of (1/n)||y − Φa||² + ρ||a||²), float64 round-off 1e-12
  const res = new Mat(n, 1, tr.y.map((v, k) => v - f[k]));
  const g = mm64(Phi, res, true, false);
  for (let i = 0; i < 30; i++) assert.ok(Math.abs(g.data[i] / n - rho * fitted.a[i]) < 1e-12);
  assert.equal(testError(fitted, va.X, va.y), mse(predict(fitted, va.X), va.y));
  const grid = [1e-4, 1e-2, 1];
  const s = selectRidge(net, tr.X, tr.y, va.X, va.y, grid);
  assert.equal(s.valErrors.length, 3);
  assert.equal(s.ridge, grid[s.valErrors.indexOf(Math.min(...s.valErrors))]);
});

test('batch-norm net: statistics of the ridge batch are frozen into the fitted net', () => {
  const { rng, t } = problem(66, 5, 10);
  const tr = sampleSingleIndex(t, 50, rng), te = sampleSingleIndex(t, 7, rng);
  const net = initSingleIndexNet(5, 6, rng, { batchNorm: true });
  const fitted = fitSecondLayer(net, tr.X, tr.y, 1e-3);
  assert.ok(fitted.bnStats !== null);
  // Predicting one test point alone or inside a batch gives the same value (inference mode).
  const one = new Mat(1, 5, te.X.data.slice(0, 5));
  assert.equal(predict(fitted, one)[0], predict(fitted, te.X)[0]);
});

test('one-step experiment: common random numbers, deterministic in the seed', () => {
  const rng = new Rng(67);
  const cov = geometricCovariance(10, 10, { rotation: 'haar', rng });
  const t = makeSingleIndexTeacher({ cov, link: 'relu', noise: 0.1 }, rng);
  const o = { N: 20, n: 100, nRidge: 60, nTest: 80, eta: 5, etaByKind: { adam: 0.05 }, ridge: [1e-3, 1e-1], kinds: ['rf', 'plain', 'preconditioned', 'adam', 'batchnorm'] as const };
  const r1 = oneStepExperiment(t, o, new Rng(1)), r2 = oneStepExperiment(t, o, new Rng(1));
  assert.deepEqual(r1, r2);
  assert.deepEqual(r1.map((r) => r.kind), ['rf', 'plain', 'preconditioned', 'adam', 'batchnorm']);
  for (const r of r1) assert.ok(Number.isFinite(r.testError) && r.testError > 0);
  assert.ok(Number.isNaN(r1[0].spikeAlignment));
});

test('bad inputs throw RangeError', () => {
  const { rng, b } = problem(68, 5, 4);
  const net = initSingleIndexNet(5, 3, rng);
  assert.throws(() => initSingleIndexNet(0, 3, rng), /d must be an integer >= 1/);
  assert.throws(() => initSingleIndexNet(5, 3, rng, { activation: 'gelu' as never }), /activation must be one of/);
  assert.throws(() => gradientW(net, new Mat(4, 6), b.y), /X has 6 columns, W expects d = 5/);
  assert.throws(() => gradientW(net, b.X, b.y.subarray(0, 3)), /y has length 3, X has 4 rows/);
  assert.throws(() => gradientW(net, b.X, Float64Array.from([1, NaN, 0, 0])), /y\[1\] must be finite/);
  assert.throws(() => oneStep(net, b.X, b.y, 'plain', { eta: NaN }), /eta must be a finite number/);
  assert.throws(() => oneStep(net, b.X, b.y, 'preconditioned', { eta: 1, lambda: -1 }), /lambda must be a finite number in \[0, inf\)/);
  assert.throws(() => oneStep(net, b.X, b.y, 'preconditioned', { eta: 1 }), /needs n >= d/);
  assert.throws(() => oneStep(net, b.X, b.y, 'sgd' as never, { eta: 1 }), /kind must be/);
  assert.throws(() => spikeVector(b.X, b.y, 'preconditioned'), /needs n >= d/);
  assert.throws(() => fitSecondLayer(net, b.X, b.y, -1), /ridge must be a finite number in \[0, inf\)/);
  assert.throws(() => selectRidge(net, b.X, b.y, b.X, b.y, []), /grid/);
});

test('relu gradient on the simd engines (simd, simd-fma): the fused kernel (both products and the loop in one module) gives the bits of the products and the JavaScript loop', async () => {
  const { initBackend, reluGradientModule } = await import('../../src/backend.js');
  const { matmul } = await import('../../src/mat.js');
  // the composition the fused path replaces: U = X Wᵀ, the loop of gradientW, then GᵀX, each product on the engine
  const reference = (net: SingleIndexNet, X: Mat, y: Float64Array) => {
    const n = X.rows, N = net.W.rows, a = net.a, sN = 1 / Math.sqrt(N), c = -sN / n;
    const U = matmul(X, net.W, { transB: true }), u = U.data, r = new Float64Array(n);
    let loss = 0;
    for (let k = 0; k < n; k++) {
      const o = k * N;
      let s = 0;
      for (let i = 0; i < N; i++) { const x = u[o + i]; s += a[i] * (x > 0 ? x : 0); }
      r[k] = y[k] - sN * s;
      loss += r[k] * r[k];
      const cr = c * r[k];
      for (let i = 0; i < N; i++) u[o + i] = cr * a[i] * +(u[o + i] > 0);
    }
    return { grad: matmul(U, X, { transA: true }).data, loss: loss / (2 * n), r };
  };
  const firstDiff = (x: ArrayLike<number>, z: ArrayLike<number>) => { for (let i = 0; i < x.length; i++) if (!Object.is(x[i], z[i])) return i; return x.length === z.length ? -1 : -2; };
  for (const engine of ['simd', 'simd-fma'] as const) {
    await initBackend(engine);
    try {
      // [n, d, N]: rows not a multiple of 4 (single-row tail), N not a multiple of 4 or 8 (partial panels, padded
      // tiles), n past the float32 panel depth of 512 (Gᵀ's inner-index blocks), N = 21 (thin); all fused
      const shapes: [number, number, number][] = [[130, 300, 67], [513, 70, 131], [1030, 33, 513], [600, 200, 21], [64, 64, 64], [257, 40, 1030]];
      for (const [n, d, N] of shapes) {
        assert.ok(reluGradientModule(n, d, N), `${n}×${d}×${N} should take the fused path`);
        const rng = new Rng(n * 7 + d * 3 + N);
        const net = initSingleIndexNet(d, N, rng);
        const X = rng.normalMat(n, d), y = new Float64Array(n);
        rng.fillNormal(y);
        for (let j = 0; j < d; j++) X.data[3 * d + j] = 0; // a zero row: U's row 3 is +0, σ'(0) = 0
        const got = gradientW(net, X, y), want = reference(net, X, y);
        assert.equal(firstDiff(got.grad.data, want.grad), -1, `${engine} ${n}×${d}×${N}: gradient`);
        assert.equal(firstDiff(got.residual, want.r), -1, `${engine} ${n}×${d}×${N}: residual`);
        assert.ok(Object.is(got.loss, want.loss), `${engine} ${n}×${d}×${N}: loss ${got.loss} vs ${want.loss}`);
      }
      // overflow: (c·r_k)·a_i = ±∞, times σ' = 0 is NaN; both paths carry the same non-finite entries
      const rng = new Rng(5), net = initSingleIndexNet(40, 67, rng), X = rng.normalMat(130, 40), y = new Float64Array(130).fill(1);
      const a = net.a.slice(); a[2] = 1e300; y[1] = 1e300;
      const big = { ...net, a }, got = gradientW(big, X, y), want = reference(big, X, y);
      assert.equal(firstDiff(got.grad.data, want.grad), -1, `${engine}: non-finite gradient`);
      assert.ok(got.grad.data.some(Number.isNaN), 'the overflow case should produce NaN entries');
    } finally {
      await initBackend('js64');
    }
  }
});
