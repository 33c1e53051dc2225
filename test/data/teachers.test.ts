import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/rng.js';
import { Mat, matmulNT } from '../../src/mat.js';
import { mm64, svd } from '../../src/linalg.js';
import { covApply, covEigenvector, geometricCovariance, identityCovariance } from '../../src/data/covariance.js';
import { gaussHermite, gaussianExpectation } from '../../src/data/gaussHermite.js';
import {
  haarOrthonormalRows, headSingularValues, headWithCondition, linkMoments, linkMomentsQuadrature, makeLink,
  linearSampler, makeLinearTeacher, makeSingleIndexTeacher, makeTransferTask, sampleLinear, sampleSingleIndex,
} from '../../src/data/teachers.js';
import { inputSampler } from '../../src/data/inputs.js';
import { matmul } from '../../src/mat.js';

const maxDiff = (a: Mat, b: Mat): number => { let m = 0; for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i])); return m; };
const eye = (k: number): Mat => { const m = new Mat(k, k); for (let i = 0; i < k; i++) m.set(i, i, 1); return m; };

/**
 * Independent reference for E f(ξ): the trapezoid rule with step h on [−40, 40]. For integrands analytic
 * in the strip |Im z| < a (tanh: a = π/2) its error is O(exp(−2πa/h)) = e^{−987} at h = 0.01, and the
 * truncated tails are below e^{−800}: exact to round-off (≈ 1e-15 with 8000 terms).
 */
function trapezoid(f: (x: number) => number, h = 0.01, L = 40): number {
  let s = 0;
  for (let i = -L / h; i <= L / h; i++) { const x = i * h; s += f(x) * Math.exp(-x * x / 2); }
  return (s * h) / Math.sqrt(2 * Math.PI);
}

// ------------------------------------------------------------------ Gauss–Hermite

test('Gauss–Hermite: weights sum to 1 and Gaussian moments are exact up to degree 2m − 1', () => {
  for (const m of [1, 2, 5, 12, 40]) {
    const q = gaussHermite(m);
    assert.ok(Math.abs(q.weights.reduce((s, w) => s + w, 0) - 1) < 1e-14, `m = ${m}`);
    let dfact = 1; // (2j − 1)!!
    for (let j = 1; 2 * j <= 2 * m - 1; j++) {
      dfact *= 2 * j - 1;
      const e = gaussianExpectation((x) => x ** (2 * j), m);
      assert.ok(Math.abs(e / dfact - 1) < 1e-12, `m = ${m}: E ξ^${2 * j} = ${e} vs ${dfact}`);
      assert.ok(Math.abs(gaussianExpectation((x) => x ** (2 * j - 1), m)) < 1e-12 * dfact);
    }
  }
  // Degree 2m is not integrated exactly: the 2-point rule gives E ξ⁴ = 1 instead of 3.
  assert.ok(Math.abs(gaussianExpectation((x) => x ** 4, 2) - 1) < 1e-14);
});

test('quadrature: relu c₁ = E 1{ξ>0} = 1/2 and E relu(ξ)² = 1/2 (symmetric even-m rule, exact to round-off)', () => {
  const relu = makeLink('relu'), q = linkMomentsQuadrature(relu);
  assert.ok(Math.abs(q.c1 - 0.5) < 1e-14, `c1 = ${q.c1}`);
  assert.ok(Math.abs(q.m2 - 0.5) < 1e-14, `E relu² = ${q.m2}`);
  assert.ok(Math.abs(q.m2xi2 - 1.5) < 1e-13, `E relu²ξ² = ${q.m2xi2}`);
  // E relu(ξ) = 1/√(2π): the kink at 0 slows Gauss–Hermite to algebraic convergence; the 200-node error is
  // ≈ 1e-3 (measured), so 5e-3 here; the closed form is what teachers use.
  assert.ok(Math.abs(q.mean - 1 / Math.sqrt(2 * Math.PI)) < 5e-3);
  const cf = linkMoments(relu);
  assert.deepEqual(cf, { mean: 1 / Math.sqrt(2 * Math.PI), c1: 0.5, m2: 0.5, m2xi2: 1.5 });
});

test('tanh moments by quadrature agree with a high-accuracy trapezoid reference; Stein identity c₁ = E[ξ tanh ξ]', () => {
  const m = linkMoments(makeLink('tanh'));
  const c1 = trapezoid((x) => 1 - Math.tanh(x) ** 2), m2 = trapezoid((x) => Math.tanh(x) ** 2);
  const m2xi2 = trapezoid((x) => (x * Math.tanh(x)) ** 2), stein = trapezoid((x) => x * Math.tanh(x));
  // 200-node Gauss–Hermite error for this strip width is ≈ 4e-15 (measured); 1e-12 is round-off margin.
  assert.ok(Math.abs(m.c1 - c1) < 1e-12, `c1 ${m.c1} vs ${c1}`);
  assert.ok(Math.abs(m.m2 - m2) < 1e-12, `m2 ${m.m2} vs ${m2}`);
  assert.ok(Math.abs(m.m2xi2 - m2xi2) < 1e-12);
  assert.ok(Math.abs(stein - c1) < 1e-12);
  assert.ok(Math.abs(m.mean) < 1e-15);
  assert.ok(Math.abs(c1 + m2 - 1) < 1e-14); // E[1 − tanh²] + E tanh² = 1
  assert.ok(c1 > 0.6 && c1 < 0.61); // sanity: c₁(tanh) ≈ 0.6057
});

test('poly link: closed-form moments equal exact quadrature (degree ≤ 6 polynomials)', () => {
  const link = makeLink('poly', { a1: 0.7, a2: -1.3 });
  const cf = linkMoments(link), q = linkMomentsQuadrature(link, 8);
  for (const k of ['mean', 'c1', 'm2', 'm2xi2'] as const) assert.ok(Math.abs(cf[k] - q[k]) < 1e-12, `${k}: ${cf[k]} vs ${q[k]}`);
  assert.equal(cf.c1, 0.7);
});

// ------------------------------------------------------------------ Model A

test('Haar G* has orthonormal rows, and its row projector averages to (k/d) I', () => {
  const rng = new Rng(31), k = 2, d = 5, M = 400;
  const P = new Mat(d, d);
  for (let m = 0; m < M; m++) {
    const G = haarOrthonormalRows(k, d, rng);
    assert.ok(maxDiff(mm64(G, G, false, true), eye(k)) < 1e-14);
    const Pm = mm64(G, G, true, false);
    for (let i = 0; i < P.data.length; i++) P.data[i] += Pm.data[i] / M;
  }
  // Diagonal entries of a Haar rank-k projector have mean k/d = 0.4 and variance ≤ 1/4 (they lie in [0, 1]);
  // off-diagonal mean 0, |entry| ≤ 1/2. SE ≤ 0.5/√M = 0.025; tolerance 5 SE = 0.125.
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    assert.ok(Math.abs(P.get(i, j) - (i === j ? k / d : 0)) < 0.125, `P_${i}${j} = ${P.get(i, j)}`);
  }
});

test('F* has condition number exactly κ_F with σ_max = 1 and geometric singular values', () => {
  const rng = new Rng(32);
  for (const [dy, k, kF] of [[6, 4, 10], [4, 4, 3], [3, 1, 1]] as const) {
    const F = headWithCondition(dy, k, kF, rng), s = svd(F).s, want = headSingularValues(k, kF);
    for (let i = 0; i < k; i++) assert.ok(Math.abs(s[i] - want[i]) < 1e-13, `dy=${dy} k=${k}: s${i} = ${s[i]} vs ${want[i]}`);
    assert.ok(Math.abs(s[0] / s[k - 1] - kF) < 1e-12 * kF);
  }
  assert.throws(() => headSingularValues(1, 2), /kappaF must be 1 when k = 1/);
});

test('Model A batches: Y = X G*ᵀ F*ᵀ exactly without noise; noise has variance σ_ε²; heads share G*', () => {
  const rng = new Rng(33);
  const cov = geometricCovariance(8, 10, { rotation: 'haar', rng });
  const t = makeLinearTeacher({ cov, k: 3, dy: 4, kappaF: 5, tasks: 3 }, rng);
  assert.equal(t.heads.length, 3);
  assert.ok(maxDiff(t.heads[0], t.heads[1]) > 1e-2);
  for (let task = 0; task < 3; task++) {
    const b = sampleLinear(t, 20, rng, task);
    assert.ok(maxDiff(b.Y, matmulNT(matmulNT(b.X, t.G), t.heads[task])) < 1e-14);
  }
  const sigma = 0.3, noisy = { ...t, noise: sigma }, n = 5000;
  const b = sampleLinear(noisy, n, new Rng(2));
  const clean = matmulNT(matmulNT(b.X, t.G), t.heads[0]);
  let ss = 0;
  for (let i = 0; i < b.Y.data.length; i++) ss += (b.Y.data[i] - clean.data[i]) ** 2;
  const N = b.Y.data.length, est = ss / N;
  // est is a mean of N = 20000 σ²χ²₁ draws: SE = σ²√(2/N) ≈ 9e-4; tolerance 5 SE.
  assert.ok(Math.abs(est - sigma * sigma) < 5 * sigma * sigma * Math.sqrt(2 / N), `noise variance ${est}`);
});

test('transfer task: source and target share G*, heads differ, target covariance can differ', () => {
  const rng = new Rng(34);
  const cov = geometricCovariance(6, 4, { rotation: 'haar', rng }), tcov = identityCovariance(6);
  const { source, target } = makeTransferTask({ cov, k: 2, dy: 3, kappaF: 2, targetCov: tcov, targetKappaF: 4 }, rng);
  assert.equal(target.G, source.G);
  assert.equal(target.cov, tcov);
  assert.ok(maxDiff(target.heads[0], source.heads[0]) > 1e-2);
  const s = svd(target.heads[0]).s;
  assert.ok(Math.abs(s[0] / s[1] - 4) < 1e-12);
  // determinism
  const again = makeTransferTask({ cov, k: 2, dy: 3, kappaF: 2, targetCov: tcov, targetKappaF: 4 }, new Rng(34));
  const first = makeTransferTask({ cov, k: 2, dy: 3, kappaF: 2, targetCov: tcov, targetKappaF: 4 }, new Rng(34));
  assert.deepEqual(Array.from(again.target.heads[0].data), Array.from(first.target.heads[0].data));
});

test('Model A validation errors', () => {
  const cov = identityCovariance(4), rng = new Rng(1);
  assert.throws(() => makeLinearTeacher({ cov, k: 5, dy: 5 }, rng), /k must be an integer in \[1, 4\], got 5/);
  assert.throws(() => makeLinearTeacher({ cov, k: 3, dy: 2 }, rng), /dy must be an integer >= 3, got 2/);
  assert.throws(() => makeLinearTeacher({ cov, k: 2, dy: 2, kappaF: 0.5 }, rng), /kappaF must be a finite number in \[1, inf\)/);
  assert.throws(() => makeLinearTeacher({ cov, k: 2, dy: 2, noise: -1 }, rng), /noise/);
  assert.throws(() => makeLinearTeacher({ cov, k: 2, dy: 2, noise: NaN }, rng), /noise/);
  assert.throws(() => sampleLinear(makeLinearTeacher({ cov, k: 2, dy: 2 }, rng), 3, rng, 1), /task must be an integer in \[0, 0\]/);
  assert.throws(() => makeTransferTask({ cov, k: 2, dy: 2, targetCov: identityCovariance(3) }, rng), /targetCov has d = 3/);
});

// ------------------------------------------------------------------ Model B

test('single-index teacher: β*ᵀΣβ* = 1, direction options, moment bookkeeping', () => {
  const rng = new Rng(41);
  const cov = geometricCovariance(10, 20, { rotation: 'haar', rng });
  const t = makeSingleIndexTeacher({ cov, link: 'relu', noise: 0.4 }, rng);
  const q = covApply(cov, t.beta).reduce((s, v, i) => s + v * t.beta[i], 0);
  assert.ok(Math.abs(q - 1) < 1e-13);
  assert.equal(t.c1, 0.5);
  assert.ok(Math.abs(t.s2 - (0.5 + 0.16)) < 1e-15);
  assert.ok(Math.abs(t.r2 - (t.s2 - 0.25)) < 1e-15);
  assert.ok(Math.abs(t.m4 - (1.5 + 0.16)) < 1e-15);
  const v = Float64Array.from({ length: 10 }, (_, i) => i - 3);
  const tv = makeSingleIndexTeacher({ cov, link: 'tanh', direction: v });
  const ratio = tv.beta[0] / v[0];
  for (let i = 0; i < 10; i++) assert.ok(Math.abs(tv.beta[i] - ratio * v[i]) < 1e-14);
  const te = makeSingleIndexTeacher({ cov, link: 'poly', direction: { eigenvector: 3 } });
  const e = covEigenvector(cov, 3);
  // eigenvector direction: β = e/√λ_3
  for (let i = 0; i < 10; i++) assert.ok(Math.abs(te.beta[i] - e[i] / Math.sqrt(cov.values[3])) < 1e-12);
});

test('single-index batches: y = σ*(Xβ*) exactly; E y, E y², E ξy match the teacher moments (CLT)', () => {
  const rng = new Rng(42);
  const cov = geometricCovariance(6, 10, { rotation: 'haar', rng });
  const clean = makeSingleIndexTeacher({ cov, link: 'tanh' }, rng);
  const b0 = sampleSingleIndex(clean, 50, rng);
  for (let k = 0; k < 50; k++) {
    let s = 0;
    for (let j = 0; j < 6; j++) s += b0.X.get(k, j) * clean.beta[j];
    assert.ok(Math.abs(b0.xi[k] - s) < 1e-14 && b0.y[k] === Math.tanh(b0.xi[k]));
  }
  for (const link of ['relu', 'tanh', 'poly'] as const) {
    const t = makeSingleIndexTeacher({ cov, link, noise: 0.3 }, rng);
    const n = 40000, b = sampleSingleIndex(t, n, rng);
    // Sample means of y, y², ξy with SE from the sample variances; tolerance 5 SE each
    // (false-failure probability ≈ 6e-7 per check). E[ξy] = c₁ is Stein's identity.
    const stats = (f: (k: number) => number): [number, number] => {
      let s = 0, s2 = 0;
      for (let k = 0; k < n; k++) { const v = f(k); s += v; s2 += v * v; }
      const m = s / n;
      return [m, Math.sqrt((s2 / n - m * m) / n)];
    };
    const checks: [string, [number, number], number][] = [
      ['E y', stats((k) => b.y[k]), t.mean],
      ['E y²', stats((k) => b.y[k] ** 2), t.s2],
      ['E ξy', stats((k) => b.xi[k] * b.y[k]), t.c1],
      ['E r²', stats((k) => (b.y[k] - t.c1 * b.xi[k]) ** 2), t.r2],
    ];
    for (const [name, [m, se], want] of checks) assert.ok(Math.abs(m - want) < 5 * se, `${link} ${name}: ${m} vs ${want} (SE ${se})`);
  }
});

test('single-index determinism and validation', () => {
  const cov = geometricCovariance(5, 3, { rotation: 'haar', rng: new Rng(1) });
  const a = makeSingleIndexTeacher({ cov, link: 'relu' }, new Rng(7)), b = makeSingleIndexTeacher({ cov, link: 'relu' }, new Rng(7));
  assert.deepEqual(Array.from(a.beta), Array.from(b.beta));
  assert.deepEqual(Array.from(sampleSingleIndex(a, 9, new Rng(2)).y), Array.from(sampleSingleIndex(b, 9, new Rng(2)).y));
  assert.throws(() => makeSingleIndexTeacher({ cov, link: 'relu' }), /needs an rng/);
  assert.throws(() => makeSingleIndexTeacher({ cov, link: 'relu', direction: [1, 2] }), /direction must have length d = 5/);
  assert.throws(() => makeSingleIndexTeacher({ cov, link: 'relu', direction: [0, 0, 0, 0, 0] }), /nonzero/);
  assert.throws(() => makeSingleIndexTeacher({ cov, link: 'relu', direction: [0, NaN, 0, 0, 0] }), /direction\[1\] must be finite/);
  assert.throws(() => makeSingleIndexTeacher({ cov, link: 'relu', noise: -0.1 }, new Rng(1)), /noise must be a finite number in \[0, inf\)/);
  assert.throws(() => makeSingleIndexTeacher({ cov, link: 'cubic' as never }, new Rng(1)), /link must be/);
  // He₂ alone has c₁ = 0: the single-index step cannot see it, and the teacher refuses it.
  assert.throws(() => makeSingleIndexTeacher({ cov, link: { name: 'he2', f: (x) => x * x - 1, df: (x) => 2 * x } }, new Rng(1)), /c1 .* must be nonzero/);
  assert.throws(() => makeSingleIndexTeacher({ cov, link: 'poly', poly: { a1: 0 } }, new Rng(1)), /c1/);
});

/** `reuse`: the same numbers batch after batch as without it, written into the same X and Y each time. */
function reusedBatches(t: ReturnType<typeof makeLinearTeacher>, n: number, reference: (t: ReturnType<typeof makeLinearTeacher>, n: number, rng: Rng, task: number) => { X: Mat; Y: Mat }, same: (a: Mat, b: Mat) => boolean): void {
  const draw = linearSampler(t, n, 1, { reuse: true }), xs = inputSampler(t.cov, n, t.law, { reuse: true });
  const a = new Rng(6), b = new Rng(6), u = new Rng(8), v = new Rng(8);
  let prev: { X: Mat; Y: Mat } | null = null, prevX: Mat | null = null;
  for (let s = 0; s < 3; s++) {
    const got = draw(a), ref = reference(t, n, b, 1);
    assert.ok(same(got.X, ref.X) && same(got.Y, ref.Y), `reuse, d = ${t.d}: batch ${s}`);
    if (prev) assert.ok(got.X === prev.X && got.Y === prev.Y, 'reuse: the same matrices every call');
    prev = got;
    const x = xs(u);
    assert.ok(same(x, reference({ ...t, noise: 0 }, n, v, 1).X), `reuse, inputs, d = ${t.d}: batch ${s}`);
    if (prevX) assert.ok(x === prevX);
    prevX = x;
  }
}

test('linearSampler / inputSampler with reuse on the simd engine (X drawn into the kernel\'s memory): the same batches, in one X', async () => {
  const { initBackend } = await import('../../src/backend.js');
  await initBackend('simd');
  try {
    const rng = new Rng(78);
    const reference = (t: ReturnType<typeof makeLinearTeacher>, n: number, r: Rng, task: number) => { const one = sampleLinear(t, n, r, task); return { X: one.X, Y: one.Y }; };
    const same = (a: Mat, b: Mat) => a.rows === b.rows && a.cols === b.cols && a.data.every((x, i) => Object.is(x, b.data[i]));
    for (const [d, n] of [[200, 256], [40, 50]] as const) {
      const t = makeLinearTeacher({ cov: geometricCovariance(d, 100, { rotation: 'haar', rng }), k: 3, dy: 5, noise: 0.2, tasks: 2 }, rng);
      reusedBatches(t, n, reference, same);
    }
  } finally {
    await initBackend('js64');
  }
});

test('linearSampler / inputSampler: batch after batch, exactly the draws of the written-out law; arguments refused at construction', () => {
  // reference, written out: Z ~ N(0, I) (or signs) row-major, X = Z Σ^{1/2} (rotated) or Z diag(√λ) (axis-aligned),
  // Y = X G*ᵀ F*ᵀ, then the noise entry by entry with rng.normal()
  const reference = (t: ReturnType<typeof makeLinearTeacher>, n: number, rng: Rng, task: number) => {
    const d = t.d, X = new Mat(n, d);
    if (t.law === 'gaussian') rng.fillNormal(X.data); else rng.fillRademacher(X.data);
    let Xc = X;
    if (t.cov.vectors !== null) Xc = matmul(X, t.cov.sqrt);
    else for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) if (Math.sqrt(t.cov.values[j]) !== 1) X.data[i * d + j] *= Math.sqrt(t.cov.values[j]);
    const Y = matmulNT(matmulNT(Xc, t.G), t.heads[task]);
    if (t.noise > 0) for (let i = 0; i < Y.data.length; i++) Y.data[i] += t.noise * rng.normal();
    return { X: Xc, Y };
  };
  const same = (a: Mat, b: Mat) => a.rows === b.rows && a.cols === b.cols && a.data.every((v, i) => Object.is(v, b.data[i]));
  const rng = new Rng(77);
  for (const [cov, law, noise, n] of [
    [geometricCovariance(40, 10, { rotation: 'haar', rng }), 'gaussian', 0.3, 50],
    [geometricCovariance(40, 10, { rotation: 'none' }), 'gaussian', 0, 7],
    [identityCovariance(12), 'rademacher', 0.1, 33],
    [geometricCovariance(200, 100, { rotation: 'haar', rng }), 'gaussian', 0, 256], // products on the engine
  ] as const) {
    const t = makeLinearTeacher({ cov, k: 3, dy: 5, noise, law, tasks: 2 }, rng);
    const draw = linearSampler(t, n, 1), a = new Rng(5), b = new Rng(5), c = new Rng(5);
    for (let s = 0; s < 3; s++) {
      const got = draw(a), ref = reference(t, n, b, 1), one = sampleLinear(t, n, c, 1);
      assert.ok(same(got.X, ref.X) && same(got.Y, ref.Y), `d = ${t.d}, ${law}, noise ${noise}: batch ${s}`);
      assert.ok(same(one.X, ref.X) && same(one.Y, ref.Y));
    }
    assert.equal(a.nextU32(), b.nextU32()); // the same number of draws
    const first = draw(a), kept = first.X.data.slice(), second = draw(a); // batches handed out are never reused
    assert.ok(first.X.data !== second.X.data && first.X.data.every((v, i) => Object.is(v, kept[i])));
    const xs = inputSampler(cov, n, law), u = new Rng(9), v = new Rng(9);
    for (let s = 0; s < 2; s++) assert.ok(same(xs(u), reference({ ...t, noise: 0 }, n, v, 1).X));
    reusedBatches(t, n, reference, same);
  }
  const t = makeLinearTeacher({ cov: identityCovariance(4), k: 2, dy: 2 }, rng);
  assert.throws(() => linearSampler(t, 0), /sampleLinear: n must be an integer/);
  assert.throws(() => linearSampler(t, 3, 1), /sampleLinear: task must be an integer in \[0, 0\], got 1/);
  assert.throws(() => inputSampler(t.cov, 3, 'uniform' as never), /sampleInputs: law must be/);
});
