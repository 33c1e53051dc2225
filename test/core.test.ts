import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NORMALS_AT, Rng, setWedgeGuardForTests } from '../src/rng.js';
import { diag, eye, matmul, matmulNT, matmulTN, slice, transpose } from '../src/mat.js';
import { cholSolve, eigSym, invSPD, mm64, newtonSchulz, orthonormalRows, qr, svd, symPow } from '../src/linalg.js';
import { activeBackend, initBackend } from '../src/backend.js';
import { maxDiff } from './fixtures.js';
import { haarOrthogonal } from '../src/data/covariance.js';
import { setWasm64Enabled, wasm64 } from '../src/wasm64.js';

test('same seed, same numbers; different seeds and forks differ', () => {
  const a = new Rng(42).normalMat(5, 7), b = new Rng(42).normalMat(5, 7), c = new Rng(43).normalMat(5, 7);
  assert.deepEqual(Array.from(a.data), Array.from(b.data));
  assert.notDeepEqual(Array.from(a.data), Array.from(c.data));
  const r = new Rng(42);
  assert.deepEqual(Array.from(r.fork('x').normalMat(2, 2).data), Array.from(new Rng(42).fork('x').normalMat(2, 2).data));
  assert.notDeepEqual(Array.from(r.fork('x').normalMat(2, 2).data), Array.from(r.fork('y').normalMat(2, 2).data));
  assert.throws(() => new Rng(1.5), /seed must be a finite integer/);
  assert.throws(() => new Rng(NaN), /seed/);
});

test('ziggurat normals have the N(0,1) moments and tail mass (10⁶ draws, 5 standard errors)', () => {
  const n = 1_000_000, x = new Rng(7).fillNormal(new Float64Array(n));
  let m = 0, v = 0, k4 = 0, tail = 0;
  for (const t of x) { m += t; v += t * t; k4 += t ** 4; if (Math.abs(t) > 3) tail++; }
  m /= n; v /= n; k4 /= n;
  assert.ok(Math.abs(m) < 5 / Math.sqrt(n));
  assert.ok(Math.abs(v - 1) < 5 * Math.sqrt(2 / n));
  assert.ok(Math.abs(k4 - 3) < 5 * Math.sqrt(96 / n));
  const p3 = 0.0026997960632601866; // P(|Z| > 3)
  assert.ok(Math.abs(tail / n - p3) < 5 * Math.sqrt(p3 / n));
});

test('fillNormal gives exactly the numbers of repeated normal() calls, slow paths included, and leaves the same state (WebAssembly and JavaScript paths)', () => {
  assert.ok(wasm64(), 'WebAssembly SIMD is available here, so the WebAssembly path is the one tested first');
  try {
    // WebAssembly deciding the wedge tests, WebAssembly handing every wedge test back (guard ∞), JavaScript
    for (const [useWasm, guard] of [[true, undefined], [true, Infinity], [false, undefined]] as const) {
      setWasm64Enabled(useWasm); setWedgeGuardForTests(guard);
      for (const seed of [1, 2 ** 40 + 3]) {
        // 300 000 draws: five chunks of the module's memory (65 536 each), the last one partial
        const n = 300_000, a = new Rng(seed), b = new Rng(seed);
        const filled = a.fillNormal(new Float64Array(n));
        let tails = 0, outer = 0;
        for (let i = 0; i < n; i++) {
          const x = b.normal();
          if (!Object.is(x, filled[i])) assert.fail(`${useWasm ? `wasm, guard ${guard ?? 'default'}` : 'js'} seed ${seed}: draw ${i} differs (${filled[i]} vs ${x})`);
          if (Math.abs(x) > 3.442619855899) outer++; // beyond the base layer's edge r: only the iz = 0 tail gives these
          if (Math.abs(x) > 2.5) tails++; // most of these come from the wedge tests of the outer layers
        }
        assert.ok(outer > 50 && tails > 1000, `the draws exercise the slow paths (${outer} beyond r, ${tails} beyond 2.5)`);
        assert.equal(a.nextU32(), b.nextU32());
        assert.equal(a.uniform(), b.uniform());
        // lengths 0 and 1, around the WebAssembly threshold (64) and a chunk, interleaved with single draws
        assert.equal(a.fillNormal(new Float64Array(0)).length, 0);
        assert.ok(Object.is(a.fillNormal(new Float64Array(1))[0], b.normal()));
        assert.ok(Object.is(a.normal(), b.fillNormal(new Float64Array(1))[0]));
        for (const len of [63, 64, 65, 65_535, 65_536, 65_537]) {
          const f = a.fillNormal(new Float64Array(len));
          for (let i = 0; i < len; i++) if (!Object.is(f[i], b.normal())) assert.fail(`${useWasm ? 'wasm' : 'js'} length ${len}: draw ${i} differs`);
          // a product in between overwrites the module's memory, where fillNormal keeps its tables and state
          matmul(new Rng(len).normalMat(64, 64), new Rng(len + 1).normalMat(64, 64));
        }
        assert.equal(a.nextU32(), b.nextU32());
      }
    }
  } finally {
    setWasm64Enabled(true); setWedgeGuardForTests();
  }
});

test('fillNormalAt writes into a module\'s memory exactly the numbers of fillNormal, hand-backs included, and leaves the same state', () => {
  const w = wasm64();
  assert.ok(w);
  try {
    for (const guard of [undefined, Infinity]) {
      setWedgeGuardForTests(guard);
      const a = new Rng(9), b = new Rng(9);
      for (const [at, count] of [[NORMALS_AT, 300_000], [NORMALS_AT + 8, 1], [NORMALS_AT, 0], [NORMALS_AT + 4096, 70_001]] as const) {
        const want = b.fillNormal(new Float64Array(count)); // first: fillNormal stages its draws in the same memory
        a.fillNormalAt(w, at, count);
        const got = w.f64().subarray(at / 8, at / 8 + count);
        for (let i = 0; i < count; i++) if (!Object.is(got[i], want[i])) assert.fail(`guard ${guard ?? 'default'}, at ${at}: draw ${i} differs (${got[i]} vs ${want[i]})`);
        assert.equal(a.nextU32(), b.nextU32());
      }
    }
  } finally {
    setWedgeGuardForTests();
  }
  assert.throws(() => new Rng(1).fillNormalAt(w, 8, 4), /fillNormalAt: at must be a multiple of 8 from 4096, got 8/);
  assert.throws(() => new Rng(1).fillNormalAt(w, NORMALS_AT + 4, 4), /at must be a multiple of 8/);
  assert.throws(() => new Rng(1).fillNormalAt(w, NORMALS_AT, -1), /fillNormalAt: count must be an integer >= 0, got -1/);
});

test("the module's exponential (fdlibm's algorithm) is within 2 ulp of Math.exp on [-700, 0], so a wedge test that differs by 1e-12 relative is decided alike", () => {
  const w = wasm64();
  assert.ok(w);
  let worst = 0;
  const r = new Rng(5);
  const ts = [0, -0, -1e-300, -(2 ** -29), -(2 ** -27), -0.34657359027997264, -0.35, -1.0397, -1.04, -Math.LN2, -5.9, -700];
  for (let i = 0; i < 200_000; i++) ts.push(-6 * r.uniform()); // the wedge tests' range: x²/2 ≤ r²/2 ≈ 5.93
  for (let i = 0; i < 20_000; i++) ts.push(-700 * r.uniform());
  for (const t of ts) {
    const e = Math.exp(t), got = w.expneg(t);
    worst = Math.max(worst, Math.abs(got - e) / e);
  }
  // each is within 1 ulp of e^t: 2 ulp of the larger is 2⁻⁵¹ relative at most
  assert.ok(worst <= 2 ** -51, `largest relative difference ${worst}`);
});

test('uniforms and signs are balanced', () => {
  const r = new Rng(9), n = 200_000, s = r.fillRademacher(new Float64Array(n));
  let sum = 0; for (const t of s) sum += t;
  assert.ok(Math.abs(sum / n) < 5 / Math.sqrt(n));
  let u = 0; for (let i = 0; i < n; i++) u += r.uniform();
  assert.ok(Math.abs(u / n - 0.5) < 5 * Math.sqrt(1 / 12 / n));
});

test('matmul with transposes equals the definition', () => {
  const r = new Rng(1), A = r.normalMat(4, 3), B = r.normalMat(3, 5);
  const C = matmul(A, B);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 5; j++) {
    let s = 0; for (let p = 0; p < 3; p++) s += A.get(i, p) * B.get(p, j);
    assert.ok(Math.abs(C.get(i, j) - s) < 1e-14);
  }
  assert.ok(maxDiff(matmulTN(transpose(A), B), C) < 1e-14);
  assert.ok(maxDiff(matmulNT(A, transpose(B)), C) < 1e-14);
  assert.throws(() => matmul(A, A), /inner dimensions differ/);
});

test('matrix functions on matrices of known spectrum: A^p = Q diag(λ^p) Qᵀ (float64, 1e-12 relative)', () => {
  const r = new Rng(2), d = 12, Q = haarOrthogonal(d, r);
  const lam = Array.from({ length: d }, (_, i) => 10 ** (-3 * i / (d - 1))); // κ = 1000
  const A = mm64(mm64(Q, diag(lam)), Q, false, true);
  const e = eigSym(A);
  const sorted = [...lam].sort((a, b) => a - b);
  e.values.forEach((v, i) => assert.ok(Math.abs(v - sorted[i]) < 1e-13, `λ${i}`));
  for (const p of [-1, -0.5, -0.25, 0.5]) {
    const want = mm64(mm64(Q, diag(lam.map((l) => l ** p))), Q, false, true);
    const got = symPow(A, p);
    const scale = Math.max(...lam.map((l) => l ** p));
    // error ≈ cond(eigvectors)·ε·|λ_min^p| ≲ 1e-12 relative to the largest entry
    assert.ok(maxDiff(got, want) < 1e-11 * scale, `p=${p}: ${maxDiff(got, want)}`);
  }
  assert.ok(maxDiff(invSPD(A), symPow(A, -1)) < 1e-9);
  assert.ok(maxDiff(mm64(cholSolve(A, eye(d)), A), eye(d)) < 1e-11);
});

test('thin QR: Q orthonormal, R upper-triangular with positive diagonal, QR = A', () => {
  const r = new Rng(3), A = r.normalMat(9, 4), { Q, R } = qr(A);
  assert.ok(maxDiff(mm64(Q, Q, true), eye(4)) < 1e-14);
  assert.ok(maxDiff(mm64(Q, R), A) < 1e-13);
  for (let i = 0; i < 4; i++) { assert.ok(R.get(i, i) > 0); for (let j = 0; j < i; j++) assert.ok(R.get(i, j) === 0); }
  const G = orthonormalRows(r.normalMat(3, 8));
  assert.ok(maxDiff(mm64(G, G, false, true), eye(3)) < 1e-14);
});

test('SVD reconstructs and Newton–Schulz returns the orthogonal polar factor U Vᵀ', () => {
  const r = new Rng(4), U = slice(haarOrthogonal(5, r), 0, 5, 0, 3), V = haarOrthogonal(3, r);
  const s = [3, 1, 0.2];
  const A = mm64(mm64(U, diag(s)), V, false, true); // 5×3 with singular values s
  const sv = svd(A);
  sv.s.forEach((v, i) => assert.ok(Math.abs(v - s[i]) < 1e-13));
  assert.ok(maxDiff(mm64(mm64(sv.U, diag(sv.s)), sv.V, false, true), A) < 1e-13);
  // Newton–Schulz converges quadratically once σ/||A||_F is near 1; 1e-10 after convergence to tol 1e-12
  const polar = newtonSchulz(A);
  assert.ok(maxDiff(polar, mm64(U, V, false, true)) < 1e-10);
  assert.ok(maxDiff(mm64(polar, polar, true), eye(3)) < 1e-10);
  const wide = newtonSchulz(transpose(A));
  assert.ok(maxDiff(mm64(wide, wide, false, true), eye(3)) < 1e-10);
});

test('wasm engine: float32 products agree with float64 to ~√k·2⁻²⁴ relative, and the engine is reported', async () => {
  const r = new Rng(5), A = r.normalMat(64, 200), B = r.normalMat(200, 48);
  const exact = matmul(A, B);
  assert.equal(activeBackend(), 'js64');
  await initBackend('wasm');
  try {
    assert.equal(activeBackend(), 'wasm');
    const f32 = matmul(A, B);
    // entries are sums of 200 products of N(0,1): |C| ~ √200; float32 rounding of inputs and sums
    // gives errors ≲ 200·2⁻²⁴·few ≈ 5e-5 absolute
    assert.ok(maxDiff(f32, exact) < 1e-3, `${maxDiff(f32, exact)}`);
    assert.ok(maxDiff(f32, exact) > 0, 'float32 engine should differ from float64 in the last bits');
  } finally {
    await initBackend('js64');
  }
  await assert.rejects(initBackend('gpu'), /backend must be one of tensorflow, simd, simd-fma, wasm, cpu, js64; got 'gpu'/);
});

test('simd engine: the float32-sized products are our core-SIMD float32 GEMM bit for bit (the float32 emulation), the others float64 bit for bit', async () => {
  const r = new Rng(6), A = r.normalMat(64, 200), B = r.normalMat(200, 48), T = r.normalMat(8, 200);
  const exact = matmul(A, B), thin = matmul(T, B), gramExact = matmulTN(A, A);
  await initBackend('simd');
  try {
    assert.equal(activeBackend(), 'simd');
    // 64·200·48 = 614400 multiply-adds, 64 rows, not symmetric: float32
    const C = matmul(A, B);
    // the emulation: operands rounded to float32, each term's product and sum rounded, ascending p from +0
    const f = Math.fround;
    let worst = 0;
    for (let i = 0; i < 64; i++) for (let j = 0; j < 48; j++) {
      let s = 0;
      for (let p = 0; p < 200; p++) s = f(s + f(f(A.data[i * 200 + p]) * f(B.data[p * 48 + j])));
      assert.ok(Object.is(C.data[i * 48 + j], s), `entry (${i}, ${j}): ${C.data[i * 48 + j]} vs the float32 emulation ${s}`);
      worst = Math.max(worst, Math.abs(s - exact.data[i * 48 + j]));
    }
    assert.ok(worst > 0 && worst < 1e-3, `${worst}`);
    // 8 rows (m ≤ 16) and a symmetric AᵀA stay float64, bit for bit the js64 results
    assert.equal(maxDiff(matmul(T, B), thin), 0);
    assert.equal(maxDiff(matmulTN(A, A), gramExact), 0);
  } finally {
    await initBackend('js64');
  }
});

test('qr is bit for bit the textbook column-by-column Householder QR (every column reflected), finite or not', () => {
  // reference: the operations `qr` documents, written plainly, with every reflection applied to all columns of Q
  const reference = (a: Float64Array, m: number, n: number) => {
    const A = a.slice(), vs: Float64Array[] = [];
    const apply = (X: Float64Array, k: number, j0: number, v: Float64Array, vn: number | null) => {
      for (let j = j0; j < n; j++) {
        let s = 0;
        for (let i = k; i < m; i++) s += v[i - k] * X[i * n + j];
        s = vn !== null ? (2 * s) / vn : s * 2;
        for (let i = k; i < m; i++) X[i * n + j] -= s * v[i - k];
      }
    };
    for (let k = 0; k < n; k++) {
      let norm = 0;
      for (let i = k; i < m; i++) norm += A[i * n + k] ** 2;
      norm = Math.sqrt(norm);
      const v = new Float64Array(m - k), alpha = A[k * n + k] > 0 ? -norm : norm;
      for (let i = k; i < m; i++) v[i - k] = A[i * n + k];
      v[0] -= alpha;
      let vn = 0;
      for (let i = 0; i < v.length; i++) vn += v[i] * v[i];
      if (vn > 0) apply(A, k, k, v, vn);
      vs.push(vn > 0 ? v.map((x) => x / Math.sqrt(vn)) : v);
    }
    const R = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) R[i * n + j] = A[i * n + j];
    const Q = new Float64Array(m * n);
    for (let i = 0; i < n; i++) Q[i * n + i] = 1;
    for (let k = n - 1; k >= 0; k--) apply(Q, k, 0, vs[k], null);
    for (let i = 0; i < n; i++) {
      if (R[i * n + i] < 0) {
        for (let j = 0; j < n; j++) R[i * n + j] = -R[i * n + j];
        for (let r = 0; r < m; r++) Q[r * n + i] = -Q[r * n + i];
      }
    }
    return { Q, R };
  };
  const r = new Rng(21);
  const same = (x: Float64Array, y: Float64Array) => x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
  // n < 8 runs in JavaScript, n ≥ 8 in the WebAssembly `reflect` kernel (odd widths: its scalar tail)
  assert.ok(wasm64() !== null);
  for (const [m, n, special] of [
    [200, 8, ''], [9, 9, ''], [40, 13, ''], [7, 1, ''], [30, 6, 'zero column'], [12, 4, 'inf'], [12, 4, 'nan'], [10, 3, 'huge'],
    [200, 200, ''], [57, 33, ''], [16, 16, ''], [30, 9, 'zero column'], [12, 9, 'inf'], [12, 9, 'nan'], [10, 8, 'huge'],
  ] as const) {
    const a = r.normalMat(m, n);
    if (special === 'zero column') for (let i = 0; i < m; i++) a.data[i * n + 2] = 0;
    if (special === 'inf') a.data[5 * n + 1] = Infinity;
    if (special === 'nan') a.data[3 * n + 2] = NaN;
    if (special === 'huge') for (let i = 0; i < a.data.length; i++) a.data[i] *= 1e200; // squares overflow
    const got = qr(a), ref = reference(a.data, m, n);
    assert.ok(same(got.Q.data, ref.Q) && same(got.R.data, ref.R), `${m}x${n} ${special}`);
  }
});
