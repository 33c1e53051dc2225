/**
 * Kernel threads (src/node/threads.ts): a product split across threads is bit-for-bit the one-thread
 * product. Each thread packs a share of the panels and computes a range of C's row tiles with the same
 * code and the same summation order (ascending inner index from +0), so the results must not depend on
 * the number of threads at all: checked with `Object.is` on every entry, for 2 and 3 threads (3 on a
 * 2-core machine still exercises uneven splits), float64 against `matmulJs` (the textbook loop's
 * order) and float32 (core and, where the runtime has it, relaxed SIMD) against the one-thread kernel,
 * on odd sizes, every transpose combination, sizes not a multiple of the tile or the panel depth, the
 * operands read in place, and the symmetric path (whose rows are split by work, not by count);
 * eigSym, whose QL rotations are applied to ranges of V's columns in the threads; Model B's fused relu
 * gradient, whose element-wise rows are split too; and the triangular solves, split by panels.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { gemmThreadsInstalled, matmulF64, matmulJs, P, PAR_MIN_WORK, PLAN_LENGTH, setGemmThreads, splitRows } from '../src/kernels.js';
import { matmulF32 } from '../src/kernels32.js';
import { relaxedSimdAvailable, setRelaxedSimd } from '../src/wasm64.js';
import { eigSym, setRotationRecordForTests } from '../src/linalg.js';
import { Mat, symmetrize } from '../src/mat.js';
import { Rng } from '../src/rng.js';
import { kernelThreadCount, startKernelThreads, stopKernelThreads } from '../src/node/threads.js';
import { EngineError, threadsFromEnv } from '../src/node/backend.js';

const minWork0 = PAR_MIN_WORK;
after(() => { stopKernelThreads(); setGemmThreads(null, minWork0); });

function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

/** [m, k, n]: odd sizes, partial tiles, k past the float64 (256) and float32 (512) panel depths, thin operands (read in place), one tile row. */
const SHAPES: [number, number, number][] = [
  [5, 7, 9], [37, 41, 43], [130, 300, 67], [64, 600, 33], [203, 129, 3], [3, 257, 150], [8, 100, 200], [150, 64, 12], [4, 50, 4], [513, 70, 131],
];

/** Products for every shape, transpose combination and the symmetric case, with the threads as they are now. */
function products(rng: Rng, f32: boolean): Float64Array[] {
  const out: Float64Array[] = [];
  for (const [m, k, n] of SHAPES) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const A = rng.normalMat(ta ? k : m, ta ? m : k), B = rng.normalMat(tb ? n : k, tb ? k : n);
      out.push(f32 ? matmulF32(A.data, A.rows, A.cols, ta, B.data, B.rows, B.cols, tb, m, k, n)! : matmulF64(A.data, A.rows, A.cols, ta, B.data, B.rows, B.cols, tb, m, k, n));
    }
    const X = rng.normalMat(k, m); // XᵀX: the symmetric path
    out.push(f32 ? matmulF32(X.data, k, m, true, X.data, k, m, false, m, k, m)! : matmulF64(X.data, k, m, true, X.data, k, m, false, m, k, m));
  }
  return out;
}

test('kernel threads: float64 products are bit-for-bit the one-thread products and the textbook order, for 2 and 3 threads', async () => {
  for (const count of [2, 3]) {
    assert.equal(await startKernelThreads(count), count, 'kernel threads should start here (Node 20 has shared WebAssembly memory)');
    assert.equal(kernelThreadCount(), count);
    const threads = gemmThreadsInstalled()!;
    setGemmThreads(threads, 0); // split every product, however small
    const par = products(new Rng(11), false);
    setGemmThreads(null);
    const one = products(new Rng(11), false);
    setGemmThreads(threads, minWork0);
    par.forEach((c, i) => assert.equal(firstDiff(c, one[i]), -1, `product ${i} with ${count} threads differs at entry ${firstDiff(c, one[i])}`));
    // and the order of the plain JavaScript loop
    const rng = new Rng(12);
    setGemmThreads(threads, 0);
    for (const [m, k, n] of SHAPES) {
      const A = rng.normalMat(m, k), B = rng.normalMat(k, n);
      const c = matmulF64(A.data, m, k, false, B.data, k, n, false, m, k, n);
      const ref = matmulJs(A.data, m, k, false, B.data, k, n, false, m, k, n, false);
      assert.equal(firstDiff(c, ref), -1, `${m}×${k}×${n} with ${count} threads vs matmulJs`);
    }
    setGemmThreads(threads, minWork0);
  }
});

test('kernel threads: float32 products (core and relaxed SIMD) are bit-for-bit the one-thread products', async () => {
  assert.equal(await startKernelThreads(2), 2);
  const threads = gemmThreadsInstalled()!;
  for (const relaxed of relaxedSimdAvailable() ? [false, true] : [false]) {
    setRelaxedSimd(relaxed);
    setGemmThreads(threads, 0);
    const par = products(new Rng(21), true);
    setGemmThreads(null);
    const one = products(new Rng(21), true);
    setGemmThreads(threads, minWork0);
    par.forEach((c, i) => assert.equal(firstDiff(c, one[i]), -1, `float32 (${relaxed ? 'relaxed' : 'core'}) product ${i} differs at entry ${firstDiff(c, one[i])}`));
  }
  setRelaxedSimd(true);
});

test('kernel threads: eigSym with its QL rotations split between 2 and 3 threads is bit-for-bit the one-thread eigSym', async () => {
  // rotateSweeps gives each thread a range of V's columns (strips of eight); the record limit of 1 makes
  // QL stop and resume before most sweeps, so every eigendecomposition hands many records to the threads.
  const sizes = [16, 33, 70, 200];
  const run = () => {
    const rng = new Rng(13), out: Float64Array[] = [];
    for (const limit of [undefined, 1]) {
      setRotationRecordForTests(limit);
      for (const n of sizes) { const e = eigSym(symmetrize(rng.normalMat(n, n))); out.push(e.values, e.vectors.data); }
    }
    setRotationRecordForTests();
    return out;
  };
  for (const count of [2, 3]) {
    assert.equal(await startKernelThreads(count), count);
    const threads = gemmThreadsInstalled()!;
    setGemmThreads(threads, 0); // split every record, however small
    const par = run();
    setGemmThreads(null);
    const one = run();
    setGemmThreads(threads, minWork0);
    par.forEach((x, i) => assert.equal(firstDiff(x, one[i]), -1, `eigSym ${i >> 1} (${i % 2 ? 'vectors' : 'values'}) with ${count} threads differs at entry ${firstDiff(x, one[i])}`));
  }
});

test('kernel threads: a rotated Gaussian batch drawn into the shared memory and multiplied there (pipelined) is the one-thread batch', async () => {
  const { initBackend } = await import('../src/backend.js');
  const { sampleInputs } = await import('../src/data/inputs.js');
  const { geometricCovariance } = await import('../src/data/covariance.js');
  await initBackend('simd');
  try {
    assert.equal(await startKernelThreads(2), 2);
    const threads = gemmThreadsInstalled()!;
    // float32 route (k = 600: two inner-index blocks; 37 and 1030 rows: partial row tiles; 513: blocks of claims
    // not dividing the tiles) and the float64 one (64×20; 300×12 reads A in place): drawn and multiplied
    // block by block (pipelined) with the threads, in one piece without
    for (const [n, d] of [[256, 200], [64, 20], [37, 600], [1030, 40], [513, 64], [300, 12]] as const) {
      const c = geometricCovariance(d, 50, { rotation: 'haar', rng: new Rng(d) });
      setGemmThreads(threads, 0);
      const par = sampleInputs(c, n, new Rng(5));
      setGemmThreads(null);
      const one = sampleInputs(c, n, new Rng(5));
      setGemmThreads(threads, minWork0);
      assert.equal(firstDiff(par.data, one.data), -1, `${n}×${d}`);
    }
  } finally {
    await initBackend('js64');
  }
});

test('kernel threads: Model B\'s fused relu gradient (its element-wise rows split too) and triangular solves (panels split) are bit-for-bit one thread\'s', async () => {
  const { initBackend, reluGradientModule } = await import('../src/backend.js');
  const { initSingleIndexNet, gradientW } = await import('../src/models/singleIndex.js');
  const { cholSolve, solveRightSPD } = await import('../src/linalg.js');
  await initBackend('simd');
  try {
    const run = () => {
      const out: Float64Array[] = [];
      for (const [n, d, N] of [[130, 300, 67], [1030, 33, 513], [257, 40, 1030]] as const) {
        assert.ok(reluGradientModule(n, d, N));
        const rng = new Rng(n + d + N), net = initSingleIndexNet(d, N, rng), X = rng.normalMat(n, d), y = new Float64Array(n);
        rng.fillNormal(y);
        const g = gradientW(net, X, y);
        out.push(g.grad.data, g.residual);
      }
      const rng = new Rng(3);
      for (const [n, count] of [[40, 37], [97, 64], [9, 200]] as const) {
        const Z = rng.normalMat(2 * n, n), A = new Mat(n, n);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { let s = 0; for (let k = 0; k < 2 * n; k++) s += Z.data[k * n + i] * Z.data[k * n + j]; A.data[i * n + j] = s; }
        out.push(cholSolve(A, rng.normalMat(n, count)).data, solveRightSPD(rng.normalMat(count, n), A).data);
      }
      return out;
    };
    for (const count of [2, 3]) {
      assert.equal(await startKernelThreads(count), count);
      const threads = gemmThreadsInstalled()!;
      setGemmThreads(threads, 0); // split every product, element-wise step and solve, however small
      const par = run();
      setGemmThreads(null);
      const one = run();
      setGemmThreads(threads, minWork0);
      par.forEach((x, i) => assert.equal(firstDiff(x, one[i]), -1, `result ${i} with ${count} threads differs at entry ${firstDiff(x, one[i])}`));
    }
  } finally {
    await initBackend('js64');
  }
});

test('kernel threads: non-finite entries propagate as in one thread', async () => {
  assert.equal(await startKernelThreads(2), 2);
  const threads = gemmThreadsInstalled()!;
  const rng = new Rng(31);
  const A = rng.normalMat(70, 90), B = rng.normalMat(90, 50);
  A.data[5 * 90 + 3] = Infinity; B.data[7 * 50 + 40] = NaN; A.data[66 * 90 + 7] = 0; B.data[7 * 50 + 1] = Infinity;
  setGemmThreads(threads, 0);
  const c2 = matmulF64(A.data, 70, 90, false, B.data, 90, 50, false, 70, 90, 50);
  setGemmThreads(null);
  const c1 = matmulF64(A.data, 70, 90, false, B.data, 90, 50, false, 70, 90, 50);
  setGemmThreads(threads, minWork0);
  assert.equal(firstDiff(c2, c1), -1);
  assert.ok(Number.isNaN(c2[5 * 50 + 40]) && Number.isNaN(c2[66 * 50 + 1]));
});

test('splitRows: contiguous ranges covering every row tile, balanced by the tiles computed', () => {
  const plan = (nt: number, sym: boolean, mr: number, nr: number) => {
    const p = new Float64Array(PLAN_LENGTH);
    p[P.NT] = nt; p[P.SYM] = sym ? 1 : 0; p[P.MR] = mr; p[P.NR] = nr;
    return p;
  };
  for (const [mt, nt, sym, mr, nr, parts] of [[100, 37, false, 4, 4, 2], [100, 100, true, 4, 4, 2], [101, 51, true, 4, 8, 3], [1, 5, false, 4, 4, 2], [7, 7, true, 4, 4, 8]] as const) {
    const b = splitRows(plan(nt, sym, mr, nr), mt, parts);
    assert.equal(b.length, parts + 1);
    assert.equal(b[0], 0); assert.equal(b[parts], mt);
    for (let i = 0; i < parts; i++) assert.ok(b[i] <= b[i + 1], `bounds ${b} are not ascending`);
    if (mt >= 4 * parts) {
      // the tiles of each range: within one row's worth of an equal share
      const work = (it: number) => (sym ? Math.max(0, nt - Math.max(0, Math.ceil((it * mr - nr + 1) / nr))) : nt);
      let total = 0;
      for (let it = 0; it < mt; it++) total += work(it);
      for (let i = 0; i < parts; i++) {
        let w = 0;
        for (let it = b[i]; it < b[i + 1]; it++) w += work(it);
        assert.ok(Math.abs(w - total / parts) <= nt, `range ${i} of ${b} holds ${w} of ${total} tiles`);
      }
    }
  }
  // the symmetric split gives the first (longer) rows to fewer threads: range 0 is shorter than range 1
  const b = splitRows(plan(100, true, 4, 4), 100, 2);
  assert.ok(b[1] < 50, `symmetric split ${b}`);
});

test('LPFL_THREADS: an integer from 1 to 64, else an error naming the variable and the range', () => {
  assert.equal(threadsFromEnv({ LPFL_THREADS: '1' }), 1);
  assert.equal(threadsFromEnv({ LPFL_THREADS: ' 3 ' }), 3);
  assert.ok(threadsFromEnv({}) >= 1);
  for (const bad of ['0', '65', '1.5', 'two', '-2']) {
    assert.throws(() => threadsFromEnv({ LPFL_THREADS: bad }), (e: Error) => e instanceof EngineError && /LPFL_THREADS=.*integer from 1 .* to 64/.test(e.message), bad);
  }
});

test('startKernelThreads: a count outside 1..64 is refused; 1 stops the threads', async () => {
  await assert.rejects(startKernelThreads(0), /kernel threads must be an integer from 1 to 64; got 0/);
  await assert.rejects(startKernelThreads(2.5), /got 2.5/);
  assert.equal(await startKernelThreads(1), 1);
  assert.equal(gemmThreadsInstalled(), null);
  assert.equal(kernelThreadCount(), 1);
});

test('startKernelThreads: a stop while the workers load wins: the start resolves to 1 and installs nothing', async () => {
  stopKernelThreads();
  const p = startKernelThreads(2);
  assert.equal(startKernelThreads(2), p, 'a second start with the same count while loading is the same start');
  stopKernelThreads();
  assert.equal(await p, 1);
  assert.equal(gemmThreadsInstalled(), null);
  assert.equal(kernelThreadCount(), 1);
});
