/**
 * eigSymOperator: a symmetric matrix's eigendecomposition in factored form (tred2's reflectors and QL's
 * recorded rotations), applied to a few rows without forming the eigenvectors. Checked against
 * - eigSym: the eigenvalues bit for bit (the same reduction, QL iteration and sort), and the products
 *   with eigSym's V (and V diag(s) Vᵀ) to a stated tolerance;
 * - matrices with known spectra (V diag(f(λ)) Vᵀ = Q diag(f(λ)) Qᵀ for A = Q diag(λ) Qᵀ);
 * - itself: the JavaScript loops and the WebAssembly kernels give the same bits, so do a full and a
 *   tiny rotation record (QL resumed), and products after other kernels overwrote the module's memory.
 *
 * Tolerance. B V is B times 2(n − 1) reflectors and R rotations applied one by one (R ≈ 2n² at most in
 * these sizes); each is orthogonal up to a few ulps, so each row of the result differs from the exact
 * product by at most a small multiple of (n + R/n)·ε·‖row of B‖ — a few 1e-13 at n = 520; eigSym's V
 * carries the same kind of error. The tests allow 1e-11·‖row‖ (float64), far below the O(‖row‖) error
 * of any wrong reflector, rotation or order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mat, matmul, matmulNT, symmetrize } from '../src/mat.js';
import { eigSym, eigSymOperator, mm64, qr, setRotationRecordForTests, type SymEigOperator } from '../src/linalg.js';
import { setWasm64Enabled, wasm64 } from '../src/wasm64.js';
import { Rng } from '../src/rng.js';

const TOL = 1e-11;
const firstDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
};
/** max over rows of ‖x_r − y_r‖∞ / max(‖ref_r‖₂, tiny) */
function rowRelErr(x: Mat, y: Mat, ref: Mat): number {
  let worst = 0;
  for (let r = 0; r < x.rows; r++) {
    let nrm = 0, d = 0;
    for (let j = 0; j < ref.cols; j++) nrm += ref.data[r * ref.cols + j] ** 2;
    for (let j = 0; j < x.cols; j++) d = Math.max(d, Math.abs(x.data[r * x.cols + j] - y.data[r * y.cols + j]));
    worst = Math.max(worst, d / Math.max(Math.sqrt(nrm), 1e-300));
  }
  return worst;
}
const jsPath = <T>(f: () => T): T => { setWasm64Enabled(false); try { return f(); } finally { setWasm64Enabled(true); } };

function cases(rng: Rng): Array<[string, Mat]> {
  const out: Array<[string, Mat]> = [];
  for (const n of [1, 2, 3, 7, 15, 16, 17, 33, 64, 131, 200]) out.push([`random ${n}`, symmetrize(rng.normalMat(n, n))]);
  const blocky = symmetrize(rng.normalMat(41, 41)); // zero rows/columns: tred2's zero-scale branch, h_i = 0
  for (const z of [5, 20, 21, 22, 40]) for (let i = 0; i < 41; i++) { blocky.data[z * 41 + i] = 0; blocky.data[i * 41 + z] = 0; }
  out.push(['zero rows and columns', blocky]);
  const diag = new Mat(37, 37);
  for (let i = 0; i < 37; i++) diag.data[i * 37 + i] = (i % 5) - 2;
  out.push(['diagonal with repeats', diag], ['zero', new Mat(20, 20)]);
  const X = rng.normalMat(8, 60); // rank 8 of 60: a 52-fold zero eigenvalue, as Shampoo's early factors
  out.push(['rank 8 of 60', mm64(X, X, true)]);
  return out;
}

test('eigSymOperator: the eigenvalues are eigSym\'s bit for bit, and B V, B Vᵀ, B V diag(s) Vᵀ are eigSym\'s products to 1e-11 per row', () => {
  assert.ok(wasm64() !== null);
  const rng = new Rng(41);
  for (const [label, A] of cases(rng)) {
    const n = A.rows, e = eigSym(A), op = eigSymOperator(A);
    assert.equal(firstDiff(op.values, e.values), -1, `values: ${label}`);
    for (const m of [1, 3, 8]) {
      const B = rng.normalMat(m, n);
      assert.ok(rowRelErr(op.times(B), mm64(B, e.vectors), B) < TOL, `B V: ${label}, m = ${m}`);
      assert.ok(rowRelErr(op.timesT(B), mm64(B, e.vectors, false, true), B) < TOL, `B Vᵀ: ${label}, m = ${m}`);
      const s = Float64Array.from(e.values, (l) => 1 / (1 + Math.abs(l))); // |s| ≤ 1: the same row bound
      const P = mm64(mm64(e.vectors, new Mat(n, n, Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? s[k / (n + 1)] : 0)))), e.vectors, false, true);
      assert.ok(rowRelErr(op.timesFn(B, s), mm64(B, P), B) < TOL, `B V diag(s) Vᵀ: ${label}, m = ${m}`);
    }
  }
});

test('eigSymOperator on known spectra: values λ, V diag(f(λ)) Vᵀ = Q diag(f(λ)) Qᵀ, V Vᵀ = I and (B V) Vᵀ = B', () => {
  const rng = new Rng(42);
  for (const n of [5, 24, 200]) {
    const Q = qr(rng.normalMat(n, n)).Q;
    const lam = Array.from({ length: n }, (_, i) => 100 ** (-i / (n - 1))); // κ = 100, distinct
    const A = matmulNT(mm64(Q, new Mat(n, n, Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? lam[k / (n + 1)] : 0)))), Q);
    const op = eigSymOperator(A), sorted = [...lam].sort((a, b) => a - b);
    op.values.forEach((v, i) => assert.ok(Math.abs(v - sorted[i]) < 1e-13 * n, `λ_${i} at n = ${n}: ${v} vs ${sorted[i]}`));
    // A^{-1/4} from the operator against Q diag(λ^{-1/4}) Qᵀ (entries ≤ 100^{1/4} ≈ 3.2)
    const f = (l: number) => l ** -0.25, I = new Mat(n, n);
    for (let i = 0; i < n; i++) I.data[i * n + i] = 1;
    const root = op.timesFn(I, Float64Array.from(op.values, f));
    const want = matmulNT(mm64(Q, new Mat(n, n, Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? f(lam[k / (n + 1)]) : 0)))), Q);
    assert.ok(rowRelErr(root, want, I) < 1e-11 * 3.2, `A^{-1/4} at n = ${n}`);
    const B = rng.normalMat(4, n);
    assert.ok(rowRelErr(op.timesFn(B, new Float64Array(n).fill(1)), B, B) < TOL, `V Vᵀ = I at n = ${n}`);
    assert.ok(rowRelErr(op.timesT(op.times(B)), B, B) < TOL, `(B V) Vᵀ = B at n = ${n}`);
    assert.ok(rowRelErr(op.times(I), eigSym(A).vectors, I) < TOL, `I V = V at n = ${n}`);
  }
});

test('eigSymOperator: the JavaScript loops and the WebAssembly kernels give the same bits, with a full or a tiny rotation record', () => {
  const rng = new Rng(43);
  const run = (op: SymEigOperator, B: Mat) => [op.values, op.times(B).data, op.timesT(B).data, op.timesFn(B, Float64Array.from(op.values, (l) => Math.exp(-l))).data];
  try {
    for (const [label, A] of cases(rng)) {
      for (const m of [1, 2, 5, 8, 9]) {
        const B = rng.normalMat(m, A.rows);
        const simd = run(eigSymOperator(A), B), js = jsPath(() => run(eigSymOperator(A), B));
        setRotationRecordForTests(1); // the record holds n rotations: QL stops and resumes between sweeps
        const tiny = run(eigSymOperator(A), B);
        setRotationRecordForTests();
        simd.forEach((x, i) => {
          assert.equal(firstDiff(js[i], x), -1, `JavaScript vs WebAssembly, ${label}, m = ${m}, output ${i}`);
          assert.equal(firstDiff(tiny[i], x), -1, `tiny record vs full, ${label}, m = ${m}, output ${i}`);
        });
      }
    }
  } finally {
    setRotationRecordForTests();
  }
});

test('eigSymOperator: products stay right after other kernels overwrite the module\'s memory, and several operators interleave', () => {
  const rng = new Rng(44);
  const A1 = symmetrize(rng.normalMat(50, 50)), A2 = symmetrize(rng.normalMat(30, 30)), B1 = rng.normalMat(3, 50), B2 = rng.normalMat(6, 30);
  const op1 = eigSymOperator(A1), op2 = eigSymOperator(A2);
  const want1 = jsPath(() => eigSymOperator(A1).times(B1)).data, want2 = jsPath(() => eigSymOperator(A2).timesT(B2)).data;
  for (let round = 0; round < 3; round++) {
    assert.equal(firstDiff(op1.times(B1).data, want1), -1, `op1, round ${round}`);
    eigSym(symmetrize(rng.normalMat(40, 40))); // another kernel's data in the same memory
    assert.equal(firstDiff(op2.timesT(B2).data, want2), -1, `op2, round ${round}`);
    matmul(rng.normalMat(64, 64), rng.normalMat(64, 64));
    assert.equal(firstDiff(op1.times(B1).data, want1), -1, `op1 again, round ${round}`);
  }
});

test('eigSymOperator: bad input is named', () => {
  assert.throws(() => eigSymOperator(new Mat(2, 3)), /eigSymOperator/);
  assert.throws(() => eigSymOperator(new Mat(0, 0)), /non-empty/);
  const op = eigSymOperator(symmetrize(new Rng(45).normalMat(4, 4)));
  assert.throws(() => op.times(new Mat(2, 5)), /B has 5 columns, A is 4x4/);
  assert.throws(() => op.timesFn(new Mat(2, 4), [1, 2, 3]), /3 values for a 4x4 matrix/);
  assert.equal(op.times(new Mat(0, 4)).rows, 0);
});
