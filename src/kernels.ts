/**
 * Float64 kernels in plain JavaScript, shared by the engines.
 *
 * `matmulF64` computes every entry of op(A)·op(B) as one dot product accumulated in ascending order of
 * the inner index, starting from +0: C_ij = ((0 + a_i0 b_0j) + a_i1 b_1j) + …, which is the order of the
 * textbook i-p-j loop; the blocking below changes how often operands are loaded, never that order, so
 * the results are bit-for-bit those of the naive kernel (for finite inputs; see `matmulF64`).
 */

import { MR64, NR64, wasm64, type Wasm64 } from './wasm64.js';

/** Transpose of a row-major r×c matrix (a fresh c×r row-major array), in cache-sized blocks. */
export function transposeF64(x: Float64Array, r: number, c: number): Float64Array {
  const out = new Float64Array(r * c), B = 32;
  for (let i0 = 0; i0 < r; i0 += B) {
    const i1 = i0 + B < r ? i0 + B : r;
    for (let j0 = 0; j0 < c; j0 += B) {
      const j1 = j0 + B < c ? j0 + B : c;
      for (let i = i0; i < i1; i++) for (let j = j0, o = i * c; j < j1; j++) out[j * r + i] = x[o + j];
    }
  }
  return out;
}

/** Inner-index block: a 4-row strip of A and of Bᵀ over KC indices stays in L1. */
const KC = 256;
/** Column block: NC rows of Bᵀ (NC·KC doubles) stay in L2 while A's rows stream past. */
const NC = 32;

/**
 * Float64 product op(A)·op(B) in plain JavaScript, with either operand transposed (the `js64` engine).
 *
 * Both operands are brought to "rows hold the inner index" form (A as m×k, B as Bᵀ n×k; a copy only
 * where the stored layout differs), and 4×4 tiles of C are accumulated in registers over blocks of the
 * inner index. A symmetric product (the same array as A and B, one side transposed: XᵀX or XXᵀ) computes
 * the upper triangle and mirrors it: C_ji uses the same products in the same order as C_ij
 * (floating-point multiplication commutes), so the mirror is exact.
 *
 * Non-finite inputs: every term a_ip·b_pj is added, so 0·∞ = NaN propagates as in BLAS (the previous
 * kernel skipped a_ip = 0 and did not propagate it); finite inputs give identical results.
 */
export function matmulF64(
  a: Float64Array, ar: number, ac: number, ta: boolean,
  b: Float64Array, br: number, bc: number, tb: boolean,
  m: number, k: number, n: number, out?: Float64Array,
): Float64Array {
  if (m === 0 || n === 0 || k === 0) return out ? out.fill(0) : new Float64Array(m * n);
  const sym = a === b && ta !== tb && m === n;
  const w = f64Kernels(m, k, n);
  if (w) return matmulWasm(w, a, ar, ac, ta, b, br, bc, tb, m, k, n, sym, out);
  return into(out, matmulJs(a, ar, ac, ta, b, br, bc, tb, m, k, n, sym));
}

/** The module whose kernel `matmulF64` uses for an m×k by k×n product, or null where it takes the JavaScript loop. */
export function f64Kernels(m: number, k: number, n: number): Wasm64 | null {
  return m >= 4 && n >= 4 && m * n * k >= WASM_MIN_WORK ? wasm64() : null;
}

/**
 * `matmulF64(A, B)` for a row-major m×k A already in module `w`'s memory at byte offset `aAt` (the
 * module `f64Kernels(m, k, n)` returns) and a row-major k×n B: the same kernel, the same sums.
 * `produce(r0, r1)`: A is not there yet; it writes A's rows r0 ≤ i < r1, called for ascending blocks of
 * rows, and with kernel threads the blocks already written are multiplied meanwhile (`pipelineRows`).
 */
export function matmulF64ResidentA(
  w: Wasm64, aAt: number, m: number, k: number, b: Float64Array, n: number, out?: Float64Array, produce?: (r0: number, r1: number) => void,
): Float64Array {
  return packedGemm(w, w.gemm64, MR64, NR64, false, EMPTY_F64, m, k, false, b, k, n, false, m, k, n, false, out, aAt, produce);
}
/** An empty operand: `packedGemm`'s `a` when A is already in the module's memory (`aAt`). */
export const EMPTY_F64 = new Float64Array(0);

/** `c` copied into `out` (returned) when an output buffer was given, else `c` itself. */
export function into(out: Float64Array | undefined, c: Float64Array): Float64Array {
  if (!out) return c;
  out.set(c);
  return out;
}

/** Multiply-adds from which `matmulF64` uses the WebAssembly kernel (where available). */
export const WASM_MIN_WORK = 1 << 14;
/** Inner-index block of the WebAssembly paths, in bytes of one packed row: KC_BYTES / 8 float64 or / 4 float32 indices. */
export const KC_BYTES = 2048;

/** A module with the packing routines and its memory (the float64 and float32 kernels share the driver). */
export interface PackedModule {
  f64(): Float64Array;
  /** The module's memory (kernel threads share it). */
  memory: WebAssembly.Memory;
  reserve(bytes: number): void;
  packA(src: number, dst: number, m: number, mr: number, mp: number, p0: number, kc: number, rs: number, cs: number, narrow: number): void;
  packB(src: number, dst: number, n: number, nr: number, np: number, p0: number, kc: number, rs: number, cs: number, narrow: number): void;
  widen?(src: number, dst: number, count: number): void;
  /** The float64 4×4 GEMM on operands read in place (`gemm64s` in asm/kernels.ts), where the module has it. */
  gemm64s?(a: number, ars: number, aps: number, ats: number, b: number, bps: number, bts: number, c: number, it0: number, it1: number, nt: number, kc: number, ldc: number, sym: number, init: number): void;
  /** The float64 kernels' fused twins (wasm64.ts), where the module has them. */
  fused?: boolean;
  gemm64f?: GemmFn;
  gemm64sf?: PackedModule['gemm64s'];
  f32exact?(x: number, count: number): number;
}
/** Multiply-adds from which a float64 product checks whether its operands are float32 values (for the fused kernels). */
export const FUSED_MIN_WORK = 1 << 17;
let fusedAllowed = true;
/**
 * Allow (default) or forbid the fused float64 kernels. They give the same bits as the unfused ones (they
 * run only on operands that are all float32 values), so this only changes speed: for timing comparisons.
 */
export function setFusedGemm64(on: boolean): void { fusedAllowed = on; }
let fusedCount = 0;
/** How many float64 products have run on the fused kernels in this thread (for tests). */
export function fusedGemm64Count(): number { return fusedCount; }
/** An operand that at most this many tiles of the other side read is used in place, not packed (float64, 4×4 tiles). */
const DIRECT_MAX_TILES = 4;
export type GemmFn = (a: number, b: number, c: number, it0: number, it1: number, nt: number, kc: number, ldc: number, sym: number, init: number) => void;
/** Bytes of a block of C rows that stays in L2 while every inner-index block passes over it. */
const C_BLOCK_BYTES = 1 << 19;

/** `bytes` rounded up to a multiple of 64 (a cache line): where each operand, panel and C start in the module's memory. */
export const up64 = (bytes: number) => (bytes + 63) & ~63;

/**
 * op(A)·op(B) with a packed-panel WebAssembly GEMM of register tile mr×nr: both operands are copied into
 * the module's memory as they are stored (one `set`, a memory copy) and packed there, once, into panels
 * per block of inner indices (rows and columns past m and n padded with zeros, so every tile is full).
 * Then, for each block of C's rows (sized to stay in L2), the micro-kernel runs over every inner-index
 * block in ascending order, accumulating each tile in registers, the first block starting from +0 (no
 * separate zeroing of C). `f32`: the panels are narrowed to float32 while packing, C accumulates in
 * float32 and is widened (exactly) at the end. The padded entries of C are discarded; every real entry
 * is accumulated in ascending inner index from +0. A symmetric product computes the tiles holding the
 * upper triangle and mirrors it. C goes into `out` (m·n entries, returned) when given, else into a new
 * array: a hot loop that passes the same `out` each time writes into memory already mapped, where a new
 * array of megabytes costs a page fault per 4 KiB page (22–25 ms per 8 MiB on our VMs; bench/README.md).
 * `aAt`: A (row-major ar×ac) is already in the module's memory at that byte offset and is not copied.
 */
export function packedGemm(
  w: PackedModule, gemm: GemmFn, mr: number, nr: number, f32: boolean,
  a: Float64Array, ar: number, ac: number, ta: boolean, b: Float64Array, br: number, bc: number, tb: boolean,
  m: number, k: number, n: number, sym: boolean, out?: Float64Array, aAt?: number, produce?: (r0: number, r1: number) => void,
): Float64Array {
  if (produce && aAt === undefined) throw new RangeError('packedGemm: produce writes A in place, so it needs aAt');
  const es = f32 ? 4 : 8;
  const mp = Math.ceil(m / mr) * mr, np = Math.ceil(n / nr) * nr;
  const sameB = aAt === undefined && b === a;
  // A at aAt when it is already in the module's memory (`a` is then not read), else copied to 0
  const aRaw = aAt ?? 0, bRaw = sameB ? aRaw : up64(aRaw + ar * ac * 8);
  // packed panels of every inner-index block: block p0 of A at pA + mp·p0·es, of B at pB + np·p0·es
  const pA = up64(bRaw + (sameB ? ar * ac * 8 : br * bc * 8)), pB = up64(pA + mp * k * es), cOff = up64(pB + np * k * es);
  const cw = f32 ? up64(cOff + mp * np * es) : cOff; // the float64 C (widened) that JavaScript reads
  w.reserve(cw + mp * np * 8 + gemmSlack(ac, bc));
  const M = w.f64();
  if (aAt === undefined) M.set(ar * ac === a.length ? a : a.subarray(0, ar * ac), aRaw / 8);
  if (!sameB) M.set(br * bc === b.length ? b : b.subarray(0, br * bc), bRaw / 8);
  gemmInModule(w, gemm, mr, nr, f32, aRaw, ac, ta, bRaw, bc, tb, m, k, n, sym, pA, pB, cOff, false, produce);
  return gemmResult(w, f32, cOff, cw, m, n, mp, np, sym, out);
}

/** Bytes past the end of a GEMM's memory that reading operands in place may touch (at most 3 rows or doubles past an operand). */
export const gemmSlack = (ac: number, bc: number): number => 4 * (Math.max(ac, bc) + 4) * 8;

/**
 * The packing and multiplying of `packedGemm` on operands already in the module's memory (float64, A
 * row-major with ac columns at byte offset aRaw, B with bc columns at bRaw, transposed as ta, tb), panels
 * at pA and pB, C (float32 when f32, row stride np entries) at cOff; the memory reserved by the caller.
 * `aPacked`: A's panels are already at pA (written there by the caller, in `packA`'s layout), so only B is
 * packed. Split between the kernel threads where installed, as `packedGemm` describes.
 */
export function gemmInModule(
  w: PackedModule, gemm: GemmFn, mr: number, nr: number, f32: boolean,
  aRaw: number, ac: number, ta: boolean, bRaw: number, bc: number, tb: boolean,
  m: number, k: number, n: number, sym: boolean, pA: number, pB: number, cOff: number, aPacked: boolean,
  produce?: (r0: number, r1: number) => void,
): void {
  const es = f32 ? 4 : 8, kcb = KC_BYTES / es;
  const mp = Math.ceil(m / mr) * mr, np = Math.ceil(n / nr) * nr;
  const mt = mp / mr, nt = np / nr, ldc = np * es;
  // float64 on operands that are all float32 values (e.g. XᵀX of a batch from a float32 product): every
  // product a·b is exact, so the fused twins (relaxed_madd) round each sum once, as the unfused kernel does
  const fused = !f32 && fusedAllowed && w.fused === true && !aPacked && !produce && m * n * k >= FUSED_MIN_WORK
    && w.f32exact!(aRaw, (ta ? k : m) * ac) === 1 && (bRaw === aRaw || w.f32exact!(bRaw, (tb ? n : k) * bc) === 1);
  if (fused) fusedCount++;
  const kernel = fused ? w.gemm64f! : gemm;
  // float64 only: A read in place when few column tiles read it (it needs no packing), B likewise when
  // stored k×n (its 4 adjacent columns are a panel row). Rows and columns past m and n then read
  // whatever follows (at most 3 rows or doubles past the operand: gemmSlack), which only reaches
  // the discarded entries of C.
  const direct = !f32 && !aPacked && w.gemm64s !== undefined && mr === 4 && nr === 4;
  const directA = direct && nt <= DIRECT_MAX_TILES, directB = direct && !tb && mt <= DIRECT_MAX_TILES;
  // op(A)[i, p] and op(B)[p, j] as byte strides (row, column) into the stored operands
  const rsA = ta ? 8 : ac * 8, csA = ta ? ac * 8 : 8, rsB = tb ? 8 : bc * 8, csB = tb ? bc * 8 : 8;
  const symI = sym ? 1 : 0;
  // XᵀX or XXᵀ with square tiles: B's panels would be A's byte for byte (per inner index, the mr entries
  // of one strip of X's columns or rows, the same zero padding), so B is not packed and reads A's
  const samePanels = sym && bRaw === aRaw && mr === nr && !aPacked && !directA && !directB;
  const mb = Math.max(1, Math.floor(C_BLOCK_BYTES / (ldc * mr))); // row tiles per block of C
  const plan = PLAN; // reused: a product runs to completion before the next one
  plan[P.KIND] = f32 ? (w as { relaxed?: boolean }).relaxed ? 2 : 1 : fused ? 3 : 0; plan[P.PHASE] = 0;
  plan[P.DA] = directA ? 1 : 0; plan[P.DB] = directB ? 1 : 0; plan[P.A] = aRaw; plan[P.B] = bRaw;
  plan[P.PA] = pA; plan[P.PB] = samePanels ? pA : pB; plan[P.SP] = samePanels ? 1 : 0; plan[P.C] = cOff; plan[P.M] = m; plan[P.N] = n; plan[P.K] = k;
  plan[P.MP] = mp; plan[P.NP] = np; plan[P.NT] = nt; plan[P.MR] = mr; plan[P.NR] = nr; plan[P.KCB] = kcb;
  plan[P.ES] = es; plan[P.LDC] = ldc; plan[P.MB] = mb; plan[P.SYM] = symI;
  plan[P.RSA] = rsA; plan[P.CSA] = csA; plan[P.RSB] = rsB; plan[P.CSB] = csB; plan[P.AP] = aPacked ? 1 : 0;
  const threads = gemmThreads;
  const split = threads !== null && threads.memory === w.memory && m * n * k >= PAR_MIN_WORK && mt >= 2;
  if (produce && split && threads.counters && !aPacked) {
    // pipelined: the workers pack and multiply blocks of rows while this thread is still writing the rest
    const c = threads.counters, cb = Math.max(1, Math.min(mb, Math.ceil(mt / (8 * threads.count)))), rows = cb * mr;
    plan[P.CB] = cb; plan[P.PHASE] = 5;
    packBCols(w, plan, 0, nt);
    Atomics.store(c, PIPE.READY, 0); Atomics.store(c, PIPE.NEXT, 0);
    let failure: unknown;
    threads.run(plan, [], () => {
      try {
        for (let r0 = 0; r0 < m; r0 += rows) { const r1 = Math.min(m, r0 + rows); produce(r0, r1); Atomics.store(c, PIPE.READY, r1); }
      } catch (e) {
        failure = e;
        Atomics.store(c, PIPE.READY, m); // let the workers finish (their tiles are discarded)
      }
      pipelineRows(w, kernel, plan, c);
    });
    if (failure !== undefined) throw failure;
    return;
  }
  produce?.(0, m);
  if (split) {
    if ((m + n) * k >= PAR_PACK_MIN) threads.run(plan, [], () => packRange(w, plan, 0, threads.count));
    else packRange(w, plan, 0, 1);
    const bounds = splitRows(plan, mt, threads.count);
    plan[P.PHASE] = 1;
    threads.run(plan, bounds, () => gemmRows(w, kernel, plan, bounds[0], bounds[1]));
  } else {
    packRange(w, plan, 0, 1);
    gemmRows(w, kernel, plan, 0, mt);
  }
}

/**
 * C of a product `gemmInModule` left at cOff (mp×np, float32 when f32, widened exactly to float64 at cw;
 * float64 at cOff = cw otherwise) as an m×n Float64Array: into `out` when given, else a new array; a
 * symmetric product's lower triangle mirrored from the upper.
 */
export function gemmResult(
  w: PackedModule, f32: boolean, cOff: number, cw: number, m: number, n: number, mp: number, np: number, sym: boolean, out?: Float64Array,
): Float64Array {
  if (f32) w.widen!(cOff, cw, mp * np);
  const M = w.f64();
  const c0 = cw / 8;
  let C: Float64Array;
  if (np === n) {
    if (out) (C = out).set(M.subarray(c0, c0 + m * n));
    else C = M.slice(c0, c0 + m * n);
  } else {
    C = out ?? new Float64Array(m * n);
    for (let i = 0; i < m; i++) C.set(M.subarray(c0 + i * np, c0 + i * np + n), i * n);
  }
  if (sym) for (let i = 1; i < n; i++) for (let j = 0; j < i; j++) C[i * n + j] = C[j * n + i];
  return C;
}

/**
 * Slots of a GEMM plan (`packRange`, `gemmRows`, `splitRows`): a Float64Array of integers that a kernel
 * thread reads from shared memory. KIND 0 float64, 1 float32 core, 2 float32 relaxed, 3 float64 on the fused
 * twins (operands all float32 values); PHASE 0 packing,
 * 1 multiplying, 2 QL rotations (`rotateSweeps`: A = V, B = the rotations, PA = the sweeps, M = their
 * count, N = ld); DA/DB operand read in place; A, B, PA, PB, C byte addresses of the operands, their
 * panels and C; MP, NP padded sizes; NT column tiles; KCB inner-index block; ES element bytes; LDC C's row
 * stride; MB row tiles per block of C; SYM symmetric; RSA … CSB byte strides; AP A's panels written by the
 * caller (`gemmInModule`'s aPacked: not packed here). PHASE 3 is rows of `reluGradient` (kernels32.ts,
 * `reluRowsRange`: A = U, LDC its row stride, B = a, PB = y, C = r, N = U's columns, K = its rows, RSA = 1/√N,
 * CSA = the gradient's constant, PA, MP and KCB those of Gᵀ's panels); PHASE 4 `solvePanels`' triangular
 * solves (A = L, B = Lᵀ, PA = the panels, N = the unknowns); PHASE 5 a pipelined product (`pipelineRows`,
 * CB row tiles per claim). SP: B's panels are A's (a symmetric product with square tiles: PB = PA, B not packed).
 */
export const P = {
  KIND: 0, PHASE: 1, DA: 2, DB: 3, A: 4, B: 5, PA: 6, PB: 7, C: 8, M: 9, N: 10, K: 11, MP: 12, NP: 13, NT: 14,
  MR: 15, NR: 16, KCB: 17, ES: 18, LDC: 19, MB: 20, SYM: 21, RSA: 22, CSA: 23, RSB: 24, CSB: 25, AP: 26, CB: 27, SP: 28,
} as const;
export const PLAN_LENGTH = 29;
const PLAN = new Float64Array(PLAN_LENGTH);

/**
 * The packing phase of `packedGemm`, part `part` of `parts`: the A panels (row tiles) and B panels
 * (column tiles) of that share, for every inner-index block (operands read in place are not packed).
 * Packing copies (or narrows, rounding to nearest) each entry to its place whatever the share, so
 * the panels are the same for any number of parts.
 */
export function packRange(w: PackedModule, plan: Float64Array, part: number, parts: number): void {
  const mt = plan[P.MP] / plan[P.MR], nt = plan[P.NT];
  packARows(w, plan, Math.floor((mt * part) / parts), Math.floor((mt * (part + 1)) / parts));
  packBCols(w, plan, Math.floor((nt * part) / parts), Math.floor((nt * (part + 1)) / parts));
}

/** 1 when the plan's panels are float32 (KIND 1 or 2: narrowed while packed), 0 for float64 (KIND 0 or 3). */
const narrows = (plan: Float64Array): number => (plan[P.KIND] === 1 || plan[P.KIND] === 2 ? 1 : 0);

/** The A panels of row tiles a0 ≤ it < a1, every inner-index block (none when A is read in place or already packed). */
function packARows(w: PackedModule, plan: Float64Array, a0: number, a1: number): void {
  if (plan[P.DA] || plan[P.AP] || a1 <= a0) return;
  const aRaw = plan[P.A], pA = plan[P.PA], m = plan[P.M], k = plan[P.K], mp = plan[P.MP], mr = plan[P.MR];
  const kcb = plan[P.KCB], es = plan[P.ES], rsA = plan[P.RSA], csA = plan[P.CSA], narrow = narrows(plan);
  const la = a0 * mr, ca = Math.max(0, Math.min(m, a1 * mr) - la);
  for (let p0 = 0; p0 < k; p0 += kcb) {
    const kc = k - p0 < kcb ? k - p0 : kcb;
    w.packA(aRaw + la * rsA, pA + (mp * p0 + la * kc) * es, ca, mr, (a1 - a0) * mr, p0, kc, rsA, csA, narrow);
  }
}

/** The B panels of column tiles b0 ≤ jt < b1, every inner-index block (none when B is read in place or its panels are A's). */
function packBCols(w: PackedModule, plan: Float64Array, b0: number, b1: number): void {
  if (plan[P.DB] || plan[P.SP] || b1 <= b0) return;
  const bRaw = plan[P.B], pB = plan[P.PB], n = plan[P.N], k = plan[P.K], np = plan[P.NP], nr = plan[P.NR];
  const kcb = plan[P.KCB], es = plan[P.ES], rsB = plan[P.RSB], csB = plan[P.CSB], narrow = narrows(plan);
  const lb = b0 * nr, cb = Math.max(0, Math.min(n, b1 * nr) - lb);
  for (let p0 = 0; p0 < k; p0 += kcb) {
    const kc = k - p0 < kcb ? k - p0 : kcb;
    w.packB(bRaw + lb * csB, pB + (np * p0 + lb * kc) * es, cb, nr, (b1 - b0) * nr, p0, kc, rsB, csB, narrow);
  }
}

/** Slots of `GemmThreads.counters` for `pipelineRows`: rows of A written so far, and the next block of row tiles to claim. */
export const PIPE = { READY: 0, NEXT: 1 } as const;
/** Loads of READY a thread makes before it sleeps a millisecond at a time (workers only: the producer never waits). */
const PIPE_SPIN = 1 << 16;

/**
 * A thread's part of a pipelined product (plan PHASE 5, `packedGemm` with `produce`): claim blocks of
 * CB row tiles in turn (counters[NEXT]), wait until the producer has written their rows of A
 * (counters[READY]), pack their A panels and compute their tiles. Every tile is packed and computed by
 * the same code whichever thread claims it, so the product is the same bit for bit.
 */
export function pipelineRows(w: PackedModule, gemm: GemmFn, plan: Float64Array, counters: Int32Array): void {
  const mt = plan[P.MP] / plan[P.MR], cb = plan[P.CB], m = plan[P.M], mr = plan[P.MR];
  for (;;) {
    const i0 = Atomics.add(counters, PIPE.NEXT, 1) * cb;
    if (i0 >= mt) return;
    const i1 = Math.min(mt, i0 + cb), need = Math.min(m, i1 * mr);
    let ready = Atomics.load(counters, PIPE.READY);
    for (let s = 0; ready < need; s++) {
      if (s >= PIPE_SPIN) Atomics.wait(counters, PIPE.READY, ready, 1);
      ready = Atomics.load(counters, PIPE.READY);
    }
    packARows(w, plan, i0, i1);
    gemmRows(w, gemm, plan, i0, i1);
  }
}

/**
 * The multiply phase of `packedGemm` over the row tiles t0 ≤ it < t1, from its plan (a Float64Array
 * of integers: kind (0 float64, 1 float32 core, 2 float32 relaxed, 3 float64 fused), directA, directB, the operands' and
 * panels' addresses, the sizes and strides): for each block of mb row tiles, every inner-index block in
 * ascending order, the first from +0. Each tile of C is computed the same way whatever the range, so
 * splitting the rows between threads gives bit-for-bit the results of one call over all of them.
 */
export function gemmRows(w: PackedModule, gemm: GemmFn, plan: Float64Array, t0: number, t1: number): void {
  const kind = plan[P.KIND], dA = plan[P.DA], dB = plan[P.DB], aRaw = plan[P.A], bRaw = plan[P.B], pA = plan[P.PA], pB = plan[P.PB];
  const cOff = plan[P.C], k = plan[P.K], mp = plan[P.MP], np = plan[P.NP], nt = plan[P.NT], kcb = plan[P.KCB], es = plan[P.ES];
  const ldc = plan[P.LDC], mb = plan[P.MB], symI = plan[P.SYM], rsA = plan[P.RSA], csA = plan[P.CSA], rsB = plan[P.RSB];
  for (let i0 = t0; i0 < t1; i0 += mb) {
    const i1 = i0 + mb < t1 ? i0 + mb : t1;
    for (let p0 = 0; p0 < k; p0 += kcb) {
      const kc = k - p0 < kcb ? k - p0 : kcb;
      if ((kind === 0 || kind === 3) && (dA || dB)) {
        (kind === 3 ? w.gemm64sf! : w.gemm64s!)(
          dA ? aRaw + p0 * csA : pA + mp * p0 * 8, dA ? rsA : 8, dA ? csA : 32, dA ? 4 * rsA : kc * 32,
          dB ? bRaw + p0 * rsB : pB + np * p0 * 8, dB ? rsB : 32, dB ? 32 : kc * 32,
          cOff, i0, i1, nt, kc, ldc, symI, p0 === 0 ? 1 : 0);
      } else gemm(pA + mp * p0 * es, pB + np * p0 * es, cOff, i0, i1, nt, kc, ldc, symI, p0 === 0 ? 1 : 0);
    }
  }
}

/**
 * Boundaries of `parts` contiguous ranges of the mt row tiles with about equal numbers of tiles
 * computed (a symmetric product computes only the tiles on or above the diagonal, so its first rows
 * hold more): ranges [b[i], b[i + 1]).
 */
export function splitRows(plan: Float64Array, mt: number, parts: number): number[] {
  const nt = plan[P.NT], symI = plan[P.SYM], mr = plan[P.MR], nr = plan[P.NR];
  // tiles of row tile it: all nt, or (symmetric) those whose columns reach the diagonal: jt·nr + nr − 1 ≥ it·mr
  const work = (it: number) => (symI ? Math.max(0, nt - Math.max(0, Math.ceil((it * mr - nr + 1) / nr))) : nt);
  let total = 0;
  for (let it = 0; it < mt; it++) total += work(it);
  const b = [0];
  let acc = 0, it = 0;
  for (let p = 1; p < parts; p++) {
    const goal = (total * p) / parts;
    while (it < mt && acc + work(it) / 2 < goal) acc += work(it++);
    b.push(Math.max(b[b.length - 1], it));
  }
  b.push(mt);
  return b;
}

/**
 * The recorded QL sweeps of `eigSym` (`rotSweeps` in asm/kernels.ts: nsw sweeps at sw, their rotations
 * at coef, byte addresses) applied to all of V (at v, row stride ld doubles, ld even). With kernel
 * threads and at least `PAR_MIN_WORK` rotation-column pairs, V's columns are split between the threads
 * in multiples of 16 (the kernel's strip): each column gets the same operations in the same order
 * whichever thread runs it, so the result is the same bit for bit.
 */
export function rotateSweeps(w: Wasm64, v: number, coef: number, sw: number, nsw: number, rotations: number, ld: number): void {
  const vecs = ld >> 1, threads = gemmThreads;
  if (threads && threads.memory === w.memory && rotations * ld >= PAR_MIN_WORK && vecs >= 8) {
    const plan = PLAN, bounds = [0];
    plan[P.KIND] = 0; plan[P.PHASE] = 2; plan[P.A] = v; plan[P.B] = coef; plan[P.PA] = sw; plan[P.M] = nsw; plan[P.N] = ld;
    for (let i = 1; i < threads.count; i++) bounds.push(Math.min(vecs, 8 * Math.round((vecs * i) / threads.count / 8)));
    bounds.push(vecs);
    threads.run(plan, bounds, () => rotSweepsRange(w, plan, bounds[0], bounds[1]));
  } else w.rotSweeps(v, coef, sw, nsw, ld, 0, vecs);
}

/**
 * `llt8` on np panels of 8 right-hand sides (L at l, Lᵀ at u, the panels at `panels`, byte addresses;
 * n unknowns): with kernel threads and at least `PAR_MIN_WORK` multiply-adds, the panels are split
 * between the threads. Each panel is solved alone with the same operations, so the result is the same
 * bit for bit.
 */
export function solvePanels(w: Wasm64, l: number, u: number, panels: number, np: number, n: number): void {
  const threads = gemmThreads;
  if (threads && threads.memory === w.memory && np >= 2 && 8 * np * n * n >= PAR_MIN_WORK) {
    const plan = PLAN, bounds = [0];
    plan[P.KIND] = 0; plan[P.PHASE] = 4; plan[P.A] = l; plan[P.B] = u; plan[P.PA] = panels; plan[P.N] = n;
    for (let i = 1; i < threads.count; i++) bounds.push(Math.round((np * i) / threads.count));
    bounds.push(np);
    threads.run(plan, bounds, () => solvePanelsRange(w, plan, bounds[0], bounds[1]));
  } else w.llt8(l, u, panels, 0, np, n);
}

/** A kernel thread's share of `solvePanels` (plan PHASE 4): the panels k0 ≤ k < k1. */
export function solvePanelsRange(w: Wasm64, plan: Float64Array, k0: number, k1: number): void {
  if (k1 > k0) w.llt8(plan[P.A], plan[P.B], plan[P.PA], k0, k1, plan[P.N]);
}

/** A kernel thread's share of `rotateSweeps` (plan PHASE 2): the column vectors v0 ≤ q < v1. */
export function rotSweepsRange(w: Wasm64, plan: Float64Array, v0: number, v1: number): void {
  if (v1 > v0) w.rotSweeps(plan[P.A], plan[P.B], plan[P.PA], plan[P.M], plan[P.N], v0, v1);
}

/**
 * Threads that run a GEMM plan's row ranges at once on the kernels' shared memory (src/node/threads.ts
 * in Node).
 */
export interface GemmThreads {
  readonly count: number;
  readonly memory: WebAssembly.Memory;
  /** Compute range i of `bounds` in worker i (i ≥ 1) while `own` computes range 0 here; return when all are done. */
  run(plan: Float64Array, bounds: number[], own: () => void): void;
  /** Two shared counters (`PIPE`) for pipelined products; without them products are not pipelined. */
  readonly counters?: Int32Array;
}
let gemmThreads: GemmThreads | null = null;
/** Products of at least this many multiply-adds are split between the kernel threads (measured in isolation: bench/README.md, "Kernel threads, measured"). */
export let PAR_MIN_WORK = 1 << 19;
/** Operand entries ((m + n)·k) from which the packing too is split between the kernel threads. */
export const PAR_PACK_MIN = 1 << 15;
/** Install (or remove, with null) the kernel threads used by `packedGemm`. */
export function setGemmThreads(t: GemmThreads | null, minWork?: number): void {
  gemmThreads = t;
  if (minWork !== undefined) PAR_MIN_WORK = minWork;
}
/** The installed kernel threads, or null. */
export function gemmThreadsInstalled(): GemmThreads | null { return gemmThreads; }

/**
 * op(A)·op(B) with the f64x2 kernel (register tile MR64×NR64, `packedGemm`): every entry accumulated
 * in ascending inner index from +0, as `matmulJs`.
 */
function matmulWasm(
  w: Wasm64, a: Float64Array, ar: number, ac: number, ta: boolean, b: Float64Array, br: number, bc: number, tb: boolean,
  m: number, k: number, n: number, sym: boolean, out?: Float64Array,
): Float64Array {
  return packedGemm(w, w.gemm64, MR64, NR64, false, a, ar, ac, ta, b, br, bc, tb, m, k, n, sym, out);
}

/**
 * The float64 product in plain JavaScript (4×4 register tiles over blocks of the inner index), the
 * reference of the WebAssembly path's bit-for-bit equality.
 */
export function matmulJs(
  a: Float64Array, ar: number, ac: number, ta: boolean,
  b: Float64Array, br: number, bc: number, tb: boolean,
  m: number, k: number, n: number, sym: boolean,
): Float64Array {
  const C = new Float64Array(m * n);
  const A = ta ? transposeF64(a, ar, ac) : a; // m×k
  const Bt = sym ? A : tb ? b : transposeF64(b, br, bc); // n×k
  for (let p0 = 0; p0 < k; p0 += KC) {
    const p1 = p0 + KC < k ? p0 + KC : k;
    for (let j0 = 0; j0 < n; j0 += NC) {
      const j1 = j0 + NC < n ? j0 + NC : n;
      let i = 0;
      for (; i + 3 < m; i += 4) {
        const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
        const c0 = i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
        let j = sym && i > j0 ? i : j0;
        for (; j + 3 < j1; j += 4) {
          const b0 = j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
          let s00 = C[c0 + j], s01 = C[c0 + j + 1], s02 = C[c0 + j + 2], s03 = C[c0 + j + 3];
          let s10 = C[c1 + j], s11 = C[c1 + j + 1], s12 = C[c1 + j + 2], s13 = C[c1 + j + 3];
          let s20 = C[c2 + j], s21 = C[c2 + j + 1], s22 = C[c2 + j + 2], s23 = C[c2 + j + 3];
          let s30 = C[c3 + j], s31 = C[c3 + j + 1], s32 = C[c3 + j + 2], s33 = C[c3 + j + 3];
          for (let p = p0; p < p1; p++) {
            const y0 = Bt[b0 + p], y1 = Bt[b1 + p], y2 = Bt[b2 + p], y3 = Bt[b3 + p];
            let x = A[a0 + p];
            s00 += x * y0; s01 += x * y1; s02 += x * y2; s03 += x * y3;
            x = A[a1 + p];
            s10 += x * y0; s11 += x * y1; s12 += x * y2; s13 += x * y3;
            x = A[a2 + p];
            s20 += x * y0; s21 += x * y1; s22 += x * y2; s23 += x * y3;
            x = A[a3 + p];
            s30 += x * y0; s31 += x * y1; s32 += x * y2; s33 += x * y3;
          }
          C[c0 + j] = s00; C[c0 + j + 1] = s01; C[c0 + j + 2] = s02; C[c0 + j + 3] = s03;
          C[c1 + j] = s10; C[c1 + j + 1] = s11; C[c1 + j + 2] = s12; C[c1 + j + 3] = s13;
          C[c2 + j] = s20; C[c2 + j + 1] = s21; C[c2 + j + 2] = s22; C[c2 + j + 3] = s23;
          C[c3 + j] = s30; C[c3 + j + 1] = s31; C[c3 + j + 2] = s32; C[c3 + j + 3] = s33;
        }
        for (; j < j1; j++) {
          const b0 = j * k;
          let s0 = C[c0 + j], s1 = C[c1 + j], s2 = C[c2 + j], s3 = C[c3 + j];
          for (let p = p0; p < p1; p++) {
            const y = Bt[b0 + p];
            s0 += A[a0 + p] * y; s1 += A[a1 + p] * y; s2 += A[a2 + p] * y; s3 += A[a3 + p] * y;
          }
          C[c0 + j] = s0; C[c1 + j] = s1; C[c2 + j] = s2; C[c3 + j] = s3;
        }
      }
      for (; i < m; i++) {
        const a0 = i * k, c0 = i * n;
        for (let j = sym && i > j0 ? i : j0; j < j1; j++) {
          const b0 = j * k;
          let s = C[c0 + j];
          for (let p = p0; p < p1; p++) s += A[a0 + p] * Bt[b0 + p];
          C[c0 + j] = s;
        }
      }
    }
  }
  if (sym) for (let i = 1; i < n; i++) for (let j = 0; j < i; j++) C[i * n + j] = C[j * n + i];
  return C;
}
