/**
 * The float64 kernels (blocked JavaScript and f64x2 WebAssembly) against the textbook loops they
 * replace: bit-for-bit equal results (`Object.is` on every entry), with the WebAssembly kernels on and
 * off. The references below are the library's original loops: products accumulated from +0 in
 * ascending inner index, left-looking Cholesky, column-by-column substitution, JAMA tred2/tql2 via
 * ml-matrix, column-by-column Householder QR.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { Mat, symmetrize } from '../src/mat.js';
import { matmulF64 } from '../src/kernels.js';
import { cholesky, cholSolveL, solveRightL, eigSym, matvecs, newtonSchulz, qr, setRotationRecordForTests } from '../src/linalg.js';
import { setWasm64Enabled, wasm64 } from '../src/wasm64.js';
import { Rng } from '../src/rng.js';

function refMatmul(a: Float64Array, ar: number, ac: number, ta: boolean, b: Float64Array, br: number, bc: number, tb: boolean, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += (ta ? a[p * ac + i] : a[i * ac + p]) * (tb ? b[j * bc + p] : b[p * bc + j]);
    out[i * n + j] = s;
  }
  return out;
}
function refCholesky(A: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let s = A[j * n + j];
    for (let p = 0; p < j; p++) s -= L[j * n + p] * L[j * n + p];
    const ljj = Math.sqrt(s);
    L[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let t = A[i * n + j];
      for (let p = 0; p < j; p++) t -= L[i * n + p] * L[j * n + p];
      L[i * n + j] = t / ljj;
    }
  }
  return L;
}
function refCholSolve(L: Float64Array, n: number, B: Float64Array, m: number): Float64Array {
  const X = B.slice();
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) { let s = X[i * m + c]; for (let p = 0; p < i; p++) s -= L[i * n + p] * X[p * m + c]; X[i * m + c] = s / L[i * n + i]; }
    for (let i = n - 1; i >= 0; i--) { let s = X[i * m + c]; for (let p = i + 1; p < n; p++) s -= L[p * n + i] * X[p * m + c]; X[i * m + c] = s / L[i * n + i]; }
  }
  return X;
}
function refEig(a: Mat): { values: number[]; vectors: number[][] } {
  const n = a.rows, s = symmetrize(a);
  const e = new EigenvalueDecomposition(new Matrix(s.toArray()), { assumeSymmetric: true });
  return { values: e.realEigenvalues, vectors: e.eigenvectorMatrix.to2DArray() };
}
function refQr(a: Mat): { Q: Float64Array; R: Float64Array } {
  const m = a.rows, n = a.cols, A = a.data.slice(), vs: Float64Array[] = [];
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += A[i * n + k] ** 2;
    norm = Math.sqrt(norm);
    const v = new Float64Array(m - k), alpha = A[k * n + k] > 0 ? -norm : norm;
    for (let i = k; i < m; i++) v[i - k] = A[i * n + k];
    v[0] -= alpha;
    let vn = 0;
    for (const x of v) vn += x * x;
    if (vn > 0) for (let j = k; j < n; j++) {
      let s = 0;
      for (let i = k; i < m; i++) s += v[i - k] * A[i * n + j];
      s = (2 * s) / vn;
      for (let i = k; i < m; i++) A[i * n + j] -= s * v[i - k];
    }
    vs.push(vn > 0 ? v.map((x) => x / Math.sqrt(vn)) : v);
  }
  const R = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) R[i * n + j] = A[i * n + j];
  const Q = new Float64Array(m * n);
  for (let i = 0; i < n; i++) Q[i * n + i] = 1;
  for (let k = n - 1; k >= 0; k--) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = k; i < m; i++) s += vs[k][i - k] * Q[i * n + j];
    s *= 2;
    for (let i = k; i < m; i++) Q[i * n + j] -= s * vs[k][i - k];
  }
  for (let i = 0; i < n; i++) if (R[i * n + i] < 0) {
    for (let j = 0; j < n; j++) R[i * n + j] = -R[i * n + j];
    for (let r = 0; r < m; r++) Q[r * n + i] = -Q[r * n + i];
  }
  return { Q, R };
}

function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}
const spd = (rng: Rng, n: number): Mat => {
  const X = rng.normalMat(n + 5, n), S = new Mat(n, n, refMatmul(X.data, n + 5, n, true, X.data, n + 5, n, false, n, n + 5, n));
  for (let i = 0; i < n; i++) S.data[i * n + i] += 0.5;
  return S;
};

for (const on of [true, false]) {
  const label = on ? 'WebAssembly kernels' : 'JavaScript loops';
  test(`float64 kernels (${label}) are bit-for-bit the reference loops`, () => {
    setWasm64Enabled(on);
    try {
      if (on) assert.ok(wasm64() !== null, 'WebAssembly SIMD should be available on Node 20');
      const rng = new Rng(on ? 11 : 12);
      for (let t = 0; t < 40; t++) {
        const big = t >= 30;
        const m = 1 + rng.int(big ? 140 : 24), k = 1 + rng.int(big ? 300 : 24), n0 = 1 + rng.int(big ? 140 : 24);
        const ta = rng.int(2) === 1, sym = rng.int(3) === 0, tb = sym ? !ta : rng.int(2) === 1, n = sym ? m : n0;
        const A = rng.normalMat(ta ? k : m, ta ? m : k);
        if (t % 5 === 0) for (let i = 0; i < A.data.length; i += 3) A.data[i] = 0;
        const B = sym ? A : rng.normalMat(tb ? n : k, tb ? k : n);
        const got = matmulF64(A.data, A.rows, A.cols, ta, B.data, B.rows, B.cols, tb, m, k, n);
        const want = refMatmul(A.data, A.rows, A.cols, ta, B.data, B.rows, B.cols, tb, m, k, n);
        assert.equal(firstDiff(got, want), -1, `matmul ${m}x${k}x${n} ta=${ta} tb=${tb} sym=${sym}`);
      }
      for (const n of [1, 3, 8, 17, 40, 64, 77]) { // 64: the padded row stride of `rowStride`
        const S = spd(rng, n), L = cholesky(S);
        assert.equal(firstDiff(L.data, refCholesky(S.data, n)), -1, `cholesky ${n}`);
        for (const m of [1, 5, 8, 19]) {
          const Bm = rng.normalMat(n, m);
          assert.equal(firstDiff(cholSolveL(L, Bm).data, refCholSolve(L.data, n, Bm.data, m)), -1, `cholSolveL ${n}, ${m} rhs`);
          const Br = rng.normalMat(m, n), Bt = new Float64Array(n * m);
          for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) Bt[j * m + i] = Br.data[i * n + j];
          const X = refCholSolve(L.data, n, Bt, m), Xr = new Float64Array(m * n);
          for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) Xr[i * n + j] = X[j * m + i];
          assert.equal(firstDiff(solveRightL(Br, L).data, Xr), -1, `solveRightL ${m} rows, ${n}`);
        }
        const R = rng.normalMat(Math.max(1, n >> 2), n); // a rank-deficient factor too
        for (const M of [S, new Mat(n, n, refMatmul(R.data, R.rows, n, true, R.data, R.rows, n, false, n, R.rows, n))]) {
          const e = eigSym(M), r = refEig(M), order = r.values.map((_, i) => i).sort((i, j) => r.values[i] - r.values[j]);
          assert.equal(firstDiff(e.values, order.map((i) => r.values[i])), -1, `eigSym values ${n}`);
          const V = new Float64Array(n * n);
          order.forEach((src, dst) => { for (let i = 0; i < n; i++) V[i * n + dst] = r.vectors[i][src]; });
          assert.equal(firstDiff(e.vectors.data, V), -1, `eigSym vectors ${n}`);
        }
        const Aq = rng.normalMat(n + rng.int(9), n), q = qr(Aq), rq = refQr(Aq);
        assert.equal(firstDiff(q.Q.data, rq.Q), -1, `qr Q ${Aq.rows}x${n}`);
        assert.equal(firstDiff(q.R.data, rq.R), -1, `qr R ${Aq.rows}x${n}`);
      }
    } finally {
      setWasm64Enabled(true);
    }
  });
}

test('eigSym with the WebAssembly tred2, ql and rotSweeps kernels is bit-for-bit ml-matrix at larger and degenerate sizes', () => {
  // The kernels rearrange JAMA's loops (whole symmetric working block, V transposed for the
  // accumulation, QL's rotations recorded and applied afterwards, strip of columns by strip); every entry
  // must still get the same IEEE operations. Odd n (padded row stride), n past every vector and unroll remainder, and matrices that
  // take tred2's zero-scale branch (zero rows and columns, diagonal, zero) and repeated eigenvalues.
  assert.ok(wasm64() !== null);
  const rng = new Rng(31);
  const randomSym = (n: number): Mat => symmetrize(rng.normalMat(n, n));
  const cases: Array<[string, Mat]> = [];
  // 64 and 256: the padded row stride (n a multiple of 32); 18, 19, 33, 131: column strips of eight
  // with one to three vectors left over
  for (const n of [16, 17, 18, 19, 33, 64, 131, 200, 256, 300, 520]) cases.push([`random ${n}`, randomSym(n)]);
  const blocky = randomSym(41); // rows/columns 5, 20 … 24 and 40 zero: zero-scale steps in the middle and at the start
  for (const z of [5, 20, 21, 22, 23, 24, 40]) for (let i = 0; i < 41; i++) { blocky.data[z * 41 + i] = 0; blocky.data[i * 41 + z] = 0; }
  cases.push(['zero rows and columns', blocky]);
  const diag = new Mat(37, 37);
  for (let i = 0; i < 37; i++) diag.data[i * 37 + i] = (i % 5) - 2;
  cases.push(['diagonal with repeats', diag], ['zero', new Mat(20, 20)]);
  const X = rng.normalMat(6, 50); // rank 6: a 44-fold zero eigenvalue
  cases.push(['rank 6 of 50', new Mat(50, 50, refMatmul(X.data, 6, 50, true, X.data, 6, 50, false, 50, 6, 50))]);
  for (const [label, M] of cases) assertEigIsReference(M, label);
});

test('eigSym: a full record of QL rotations is applied and QL resumes where it stopped, bit-for-bit ml-matrix', () => {
  // The record holds at most max(n, 4n², limit) rotations; with the limit at 1 it holds n (a sweep has at
  // most n − 1), so QL stops and resumes before many sweeps: in the first iterations of an eigenvalue and
  // in later ones, and with rotations of the last sweep exactly filling the record.
  assert.ok(wasm64() !== null);
  const rng = new Rng(32);
  try {
    for (const limit of [1, 97, 1000]) {
      setRotationRecordForTests(limit);
      for (const n of [16, 37, 64, 150]) assertEigIsReference(symmetrize(rng.normalMat(n, n)), `n = ${n}, record limit ${limit}`);
      const diag = new Mat(20, 20);
      for (let i = 0; i < 20; i++) diag.data[i * 20 + i] = i % 3;
      assertEigIsReference(diag, `diagonal, record limit ${limit}`);
    }
  } finally {
    setRotationRecordForTests();
  }
});

/** eigSym(M) against ml-matrix's EigenvalueDecomposition, values and vectors bit for bit (ascending order). */
function assertEigIsReference(M: Mat, label: string): void {
  const n = M.rows, e = eigSym(M), r = refEig(M), order = r.values.map((_, i) => i).sort((i, j) => r.values[i] - r.values[j]);
  assert.equal(firstDiff(e.values, order.map((i) => r.values[i])), -1, `eigSym values: ${label}`);
  const V = new Float64Array(n * n);
  order.forEach((src, dst) => { for (let i = 0; i < n; i++) V[i * n + dst] = r.vectors[i][src]; });
  assert.equal(firstDiff(e.vectors.data, V), -1, `eigSym vectors: ${label}`);
}

test('matvecs: S·v with S kept in the module\'s memory is the JavaScript row loop bit for bit, also after other kernels overwrote that memory', () => {
  assert.ok(wasm64() !== null);
  const rng = new Rng(33);
  const rowLoop = (S: Mat, v: Float64Array) => {
    const n = S.rows, out = new Float64Array(n);
    for (let i = 0; i < n; i++) { let t = 0; for (let j = 0; j < n; j++) t += S.data[i * n + j] * v[j]; out[i] = t; }
    return out;
  };
  // not symmetric (the kernel runs on Sᵀ); odd sizes, a padded stride (64), fewer than four rows left over;
  // v with zeros and negative zeros (the sums start from +0)
  for (const n of [3, 16, 17, 19, 64, 131]) {
    const S = rng.normalMat(n, n), mul = matvecs(S);
    for (let t = 0; t < 3; t++) {
      const v = rng.normalMat(n, 1).data;
      if (t === 1) for (let i = 0; i < n; i += 3) v[i] = i % 2 ? -0 : 0;
      assert.equal(firstDiff(mul(v), rowLoop(S, v)), -1, `n = ${n}, vector ${t}`);
      if (t === 1) eigSym(symmetrize(rng.normalMat(n + 5, n + 5))); // overwrites the module's memory: the next product copies S again
    }
  }
  assert.throws(() => matvecs(rng.normalMat(3, 3))(new Float64Array(4)), /matvecs: v has length 4, S is 3x3/);
  assert.throws(() => matvecs(rng.normalMat(20, 20))(new Float64Array(4)), /matvecs: v has length 4, S is 20x20/);
});

test('newtonSchulz with a fixed number of steps runs whole in the `newtonSchulz` kernel, bit for bit the JavaScript loop', () => {
  // The kernel's X Xᵀ takes the pairs i ≤ j four at a time (a last group of one to three pairs), its
  // (X Xᵀ) X two columns at a time (an odd last column); wide and tall inputs, one row, inner sizes past a
  // block of 256, and 1, 2 and 30 steps.
  assert.ok(wasm64() !== null);
  const rng = new Rng(33);
  for (const [m, n] of [[1, 5], [2, 3], [3, 3], [5, 5], [8, 200], [7, 301], [16, 512], [200, 8], [33, 17]]) {
    for (const steps of [1, 2, 30]) {
      const A = rng.normalMat(m, n);
      const w = newtonSchulz(A, steps);
      setWasm64Enabled(false);
      let js: Mat;
      try { js = newtonSchulz(A, steps); } finally { setWasm64Enabled(true); }
      assert.equal(firstDiff(w.data, js.data), -1, `${m}x${n}, ${steps} steps`);
    }
  }
});

test('cholesky refuses a non-finite entry anywhere (NonFiniteError) and names a pivot that is not positive, on both paths', () => {
  const rng = new Rng(31);
  for (const on of [true, false]) {
    setWasm64Enabled(on);
    try {
      for (const n of [5, 33, 40]) { // 33 × 33: an odd count, so the last entry falls outside the four-way sums
        const S = spd(rng, n);
        for (const bad of [NaN, Infinity, -Infinity]) {
          for (const at of [0, 1, Math.floor((n * n) / 2), n * n - 2, n * n - 1]) {
            const B = S.clone();
            B.data[at] = bad;
            assert.throws(() => cholesky(B), (e: Error) => e.name === 'NonFiniteError' && /cholesky: matrix has non-finite entries/.test(e.message), `cholesky ${n}, ${bad} at ${at}`);
          }
        }
        // pivot 2 not positive: a negative definite leading 3×3 block shifted in
        const B = S.clone();
        for (let i = 0; i < 3; i++) B.data[i * n + i] = -B.data[i * n + i] + (i === 2 ? -1e3 : 1e3);
        assert.throws(() => cholesky(B), (e: Error) => e.name === 'NotPositiveDefiniteError' && /pivot \d+ = /.test(e.message), `cholesky ${n} (${on ? 'wasm' : 'js'})`);
      }
    } finally {
      setWasm64Enabled(true);
    }
  }
});

test('packA / packB: panels of any width (1–8, odd included), narrowed or not, entries adjacent or strided, hold op(A)[t·w + r, p0 + q] and zeros past the last line', () => {
  const w = wasm64()!;
  const rng = new Rng(17);
  const m = 13, k = 11, p0 = 3, kc = 6;
  const A = rng.normalMat(m, k); // row-major m×k, and its transpose, so that both layouts of a line are tried
  const At = new Float64Array(k * m);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) At[p * m + i] = A.data[i * k + p];
  for (const width of [1, 2, 3, 4, 5, 6, 7, 8]) {
    const mp = Math.ceil(m / width) * width;
    for (const narrow of [0, 1]) {
      for (const trans of [false, true]) { // trans: line i's entries adjacent (rs = 8), the SIMD copy paths
        const src = trans ? At : A.data, rs = trans ? 8 : k * 8, cs = trans ? m * 8 : 8;
        const dst = 8 * src.length;
        for (const which of ['A', 'B'] as const) {
          w.reserve(dst + mp * kc * 8 + 64);
          const M = w.f64();
          M.set(src, 0);
          M.fill(NaN, dst / 8, dst / 8 + mp * kc); // every slot must be written
          // packB reads op(B)[p, j] at p·rs + j·cs: the same lines (j ↔ i) with the strides swapped
          if (which === 'A') w.packA(0, dst, m, width, mp, p0, kc, rs, cs, narrow);
          else w.packB(0, dst, m, width, mp, p0, kc, cs, rs, narrow);
          const got = narrow ? w.f32().subarray(dst / 4, dst / 4 + mp * kc) : w.f64().subarray(dst / 8, dst / 8 + mp * kc);
          for (let t = 0; t < mp / width; t++) for (let q = 0; q < kc; q++) for (let r = 0; r < width; r++) {
            const i = t * width + r, x = i < m ? A.data[i * k + p0 + q] : 0;
            const want = narrow ? Math.fround(x) : x, at = (t * kc + q) * width + r;
            assert.ok(Object.is(got[at], want), `pack${which} width ${width} narrow ${narrow} ${trans ? 'adjacent' : 'strided'}: panel ${t}, index ${q}, line ${r}: ${got[at]} vs ${want}`);
          }
        }
      }
    }
  }
});
