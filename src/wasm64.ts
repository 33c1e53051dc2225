/**
 * Float64 SIMD kernels in WebAssembly (f64x2), assembled at load time from the instruction encodings
 * below: no toolchain, no binary blob, no Node-only API (WebAssembly exists in browsers and Node).
 *
 * Every kernel here is *element-wise* in its SIMD lanes: a lane performs exactly the IEEE operations,
 * in exactly the order, of the scalar JavaScript it replaces (WebAssembly has no fused multiply-add in
 * its core SIMD set and never reassociates), so results are bit-for-bit those of the JavaScript code.
 * The lanes only let two independent outputs advance together.
 *
 * `wasm64()` returns null where WebAssembly SIMD is unavailable (or compilation fails); callers then
 * use their JavaScript loops.
 */

// ---------------------------------------------------------------- a minimal assembler

const uleb = (v: number): number[] => {
  const out: number[] = [];
  do { let b = v & 0x7f; v >>>= 7; if (v !== 0) b |= 0x80; out.push(b); } while (v !== 0);
  return out;
};
const sleb = (v: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f; v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
};
const str = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];

const I32 = 0x7f, V128 = 0x7b;
/** Instruction builders (one array of bytes each). */
const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(v)],
  add: [0x6a], sub: [0x6b], mul: [0x6c], ltU: [0x49], geU: [0x4f], leS: [0x4c], shrU: [0x76], and: [0x71], eqz: [0x45], select: [0x1b],
  block: [0x02, 0x40], loop: [0x03, 0x40], end: [0x0b], br: (d: number) => [0x0c, ...uleb(d)], brIf: (d: number) => [0x0d, ...uleb(d)],
  /** memarg: alignment exponent and byte offset. */
  v128load: (off = 0) => [0xfd, 0x00, 4, ...uleb(off)],
  v128store: (off = 0) => [0xfd, 0x0b, 4, ...uleb(off)],
  splat64: (off = 0) => [0xfd, 0x0a, 3, ...uleb(off)], // v128.load64_splat
  f64x2add: [0xfd, 0xf0, 0x01], f64x2sub: [0xfd, 0xf1, 0x01], f64x2mul: [0xfd, 0xf2, 0x01], f64x2div: [0xfd, 0xf3, 0x01],
};
type Code = (number[] | number)[];
const flat = (c: Code): number[] => c.flatMap((x) => (typeof x === 'number' ? [x] : x));

interface FuncDef { name: string; params: number; locals: [number, number][]; body: Code }

function assemble(funcs: FuncDef[]): Uint8Array<ArrayBuffer> {
  const types = funcs.map((f) => [0x60, ...vec(Array.from({ length: f.params }, () => [I32])), 0]);
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(5, vec([[0x00, ...uleb(1)]])), // one memory, min 1 page, grown from JavaScript
    ...section(7, vec([[...str('mem'), 0x02, 0], ...funcs.map((f, i) => [...str(f.name), 0x00, ...uleb(i)])])),
    ...section(10, vec(funcs.map((f) => {
      const body = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...flat(f.body), 0x0b];
      return [...uleb(body.length), ...body];
    }))),
  ];
  return new Uint8Array(bytes);
}

// ---------------------------------------------------------------- kernels

/**
 * gemm4x4(a, b, c, mt, nt, kc, ldc, sym): for every 4×4 tile (it < mt, jt < nt; with sym ≠ 0 only
 * it ≤ jt) C[4it.., 4jt..] += Apanel(it) · Bpanel(jt) over kc inner indices, ascending. Panels are
 * packed: A panel it holds, for each inner index p, the 4 entries A[4it + r, p] (32 bytes); B panel jt
 * holds the 4 entries B[p, 4jt + c]. C is row-major with a row stride of ldc bytes. Each C entry is
 * s ← s + a·b per p, in ascending p: the scalar kernel's order.
 */
function gemmKernel(): FuncDef {
  const [A, B, C, MT, NT, KC, LDC, SYM] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [JT, IT, AP, BP, CP, P, IEND] = [8, 9, 10, 11, 12, 13, 14];
  const ACC = 15, B0 = 23, B1 = 24, AV = 25; // v128 locals: 8 accumulators, two B vectors, one A splat
  const rowAddr = (r: number): Code => (r === 0 ? [op.get(CP)] : [op.get(CP), op.get(LDC), op.i32(r), op.mul, op.add]);
  const loadC: Code = [], storeC: Code = [], inner: Code = [];
  for (let r = 0; r < 4; r++) {
    for (let h = 0; h < 2; h++) {
      loadC.push(...rowAddr(r), op.v128load(16 * h), op.set(ACC + 2 * r + h));
      storeC.push(...rowAddr(r), op.get(ACC + 2 * r + h), op.v128store(16 * h));
    }
  }
  inner.push(op.get(BP), op.v128load(0), op.set(B0), op.get(BP), op.v128load(16), op.set(B1));
  for (let r = 0; r < 4; r++) {
    inner.push(op.get(AP), op.splat64(8 * r), op.set(AV));
    for (let h = 0; h < 2; h++) {
      inner.push(op.get(ACC + 2 * r + h), op.get(AV), op.get(h ? B1 : B0), op.f64x2mul, op.f64x2add, op.set(ACC + 2 * r + h));
    }
  }
  const body: Code = [
    op.i32(0), op.set(JT),
    op.block, op.loop,
    op.get(JT), op.get(NT), op.geU, op.brIf(1),
    // iEnd = sym ? min(jt + 1, mt) : mt
    op.get(JT), op.i32(1), op.add, op.get(MT), op.get(JT), op.i32(1), op.add, op.get(MT), op.ltU, op.select, op.set(IEND),
    op.get(IEND), op.get(MT), op.get(SYM), op.select, op.set(IEND),
    op.i32(0), op.set(IT),
    op.block, op.loop,
    op.get(IT), op.get(IEND), op.geU, op.brIf(1),
    // cp = c + it·4·ldc + jt·32; ap = a + it·kc·32; bp = b + jt·kc·32
    op.get(C), op.get(IT), op.get(LDC), op.mul, op.i32(4), op.mul, op.add, op.get(JT), op.i32(32), op.mul, op.add, op.set(CP),
    op.get(A), op.get(IT), op.get(KC), op.mul, op.i32(32), op.mul, op.add, op.set(AP),
    op.get(B), op.get(JT), op.get(KC), op.mul, op.i32(32), op.mul, op.add, op.set(BP),
    ...loadC,
    op.get(KC), op.set(P),
    op.block, op.get(P), op.eqz, op.brIf(0), op.loop,
    ...inner,
    op.get(AP), op.i32(32), op.add, op.set(AP),
    op.get(BP), op.i32(32), op.add, op.set(BP),
    op.get(P), op.i32(1), op.sub, op.tee(P), op.brIf(0),
    op.end, op.end,
    ...storeC,
    op.get(IT), op.i32(1), op.add, op.set(IT), op.br(0),
    op.end, op.end,
    op.get(JT), op.i32(1), op.add, op.set(JT), op.br(0),
    op.end, op.end,
  ];
  return { name: 'gemm4x4', params: 8, locals: [[7, I32], [11, V128]], body };
}

/**
 * llt8(l, u, panels, np, n): for each of np panels of 8 right-hand sides (panel k at panels + k·n·64;
 * entry i of the panel holds component i of the 8 vectors, 64 bytes), solve x L Lᵀ = b in place:
 * forward y_i = (b_i − Σ_{p<i} L_ip y_p)/L_ii, then backward x_i = (y_i − Σ_{p>i} U_ip x_p)/U_ii with
 * U = Lᵀ (row-major n×n at u), sums in ascending p: `solveRowsLLt`'s operations lane by lane.
 */
function lltKernel(): FuncDef {
  const [L, U, PAN, NP, N] = [0, 1, 2, 3, 4];
  const [K, PK, I, P, LP, YP, ROW] = [5, 6, 7, 8, 9, 10, 11];
  const ACC = 12, AV = 16; // v128: 4 accumulators, one splat
  const loadAcc = (addr: number): Code => [0, 1, 2, 3].flatMap((j) => [op.get(addr), op.v128load(16 * j), op.set(ACC + j)]);
  const storeDiv = (addr: number): Code => [0, 1, 2, 3].flatMap((j) => [op.get(addr), op.get(ACC + j), op.get(AV), op.f64x2div, op.v128store(16 * j)]);
  const update = (ptr: number): Code => [
    op.get(ptr), op.splat64(0), op.set(AV),
    ...[0, 1, 2, 3].flatMap((j) => [op.get(ACC + j), op.get(AV), op.get(YP), op.v128load(16 * j), op.f64x2mul, op.f64x2sub, op.set(ACC + j)]),
  ];
  const body: Code = [
    op.i32(0), op.set(K),
    op.block, op.loop,
    op.get(K), op.get(NP), op.geU, op.brIf(1),
    op.get(PAN), op.get(K), op.get(N), op.mul, op.i32(64), op.mul, op.add, op.set(PK),
    // forward: i = 0 … n−1
    op.i32(0), op.set(I),
    op.block, op.loop,
    op.get(I), op.get(N), op.geU, op.brIf(1),
    op.get(PK), op.get(I), op.i32(64), op.mul, op.add, op.set(ROW),
    ...loadAcc(ROW),
    op.get(L), op.get(I), op.get(N), op.mul, op.i32(8), op.mul, op.add, op.set(LP),
    op.get(PK), op.set(YP),
    op.get(I), op.set(P),
    op.block, op.get(P), op.eqz, op.brIf(0), op.loop,
    ...update(LP),
    op.get(LP), op.i32(8), op.add, op.set(LP),
    op.get(YP), op.i32(64), op.add, op.set(YP),
    op.get(P), op.i32(1), op.sub, op.tee(P), op.brIf(0),
    op.end, op.end,
    op.get(LP), op.splat64(0), op.set(AV), // L_ii
    ...storeDiv(ROW),
    op.get(I), op.i32(1), op.add, op.set(I), op.br(0),
    op.end, op.end,
    // backward: i = n−1 … 0 (I counts down from n)
    op.get(N), op.set(I),
    op.block, op.loop,
    op.get(I), op.eqz, op.brIf(1),
    op.get(I), op.i32(1), op.sub, op.set(I),
    op.get(PK), op.get(I), op.i32(64), op.mul, op.add, op.set(ROW),
    ...loadAcc(ROW),
    op.get(U), op.get(I), op.get(N), op.mul, op.get(I), op.add, op.i32(8), op.mul, op.add, op.set(LP), // &U_ii
    op.get(ROW), op.i32(64), op.add, op.set(YP),
    op.get(N), op.get(I), op.sub, op.i32(1), op.sub, op.set(P),
    op.block, op.get(P), op.eqz, op.brIf(0), op.loop,
    op.get(LP), op.i32(8), op.add, op.set(LP),
    ...update(LP),
    op.get(YP), op.i32(64), op.add, op.set(YP),
    op.get(P), op.i32(1), op.sub, op.tee(P), op.brIf(0),
    op.end, op.end,
    op.get(U), op.get(I), op.get(N), op.mul, op.get(I), op.add, op.i32(8), op.mul, op.add, op.splat64(0), op.set(AV), // U_ii
    ...storeDiv(ROW),
    op.br(0),
    op.end, op.end,
    op.get(K), op.i32(1), op.add, op.set(K), op.br(0),
    op.end, op.end,
  ];
  return { name: 'llt8', params: 5, locals: [[7, I32], [5, V128]], body };
}

/**
 * rot(v, cs, sn, l, m, ld): the plane rotations of one implicit-QL sweep, i = m−1 down to l, each on
 * rows (i, i+1) of V (row stride ld doubles, ld even, 16-byte aligned rows):
 * V[i+1, k] ← s_i·V[i, k] + c_i·V[i+1, k] and V[i, k] ← c_i·V[i, k] − s_i·V[i+1, k] (old values), as `tql2`.
 */
function rotKernel(): FuncDef {
  const [VV, CS, SN, LL, MM, LD] = [0, 1, 2, 3, 4, 5];
  const [I, R0, R1, K] = [6, 7, 8, 9];
  const C = 10, S = 11, H = 12, X = 13; // v128
  const body: Code = [
    op.get(MM), op.set(I),
    op.block, op.loop,
    op.get(I), op.get(LL), op.leS, op.brIf(1),
    op.get(I), op.i32(1), op.sub, op.set(I), // i = m−1 … l
    op.get(CS), op.get(I), op.i32(8), op.mul, op.add, op.splat64(0), op.set(C),
    op.get(SN), op.get(I), op.i32(8), op.mul, op.add, op.splat64(0), op.set(S),
    op.get(VV), op.get(I), op.get(LD), op.mul, op.i32(8), op.mul, op.add, op.set(R0),
    op.get(R0), op.get(LD), op.i32(8), op.mul, op.add, op.set(R1),
    op.get(LD), op.i32(1), op.shrU, op.set(K),
    op.block, op.get(K), op.eqz, op.brIf(0), op.loop,
    op.get(R1), op.v128load(0), op.set(H),
    op.get(R0), op.v128load(0), op.set(X),
    op.get(R1), op.get(S), op.get(X), op.f64x2mul, op.get(C), op.get(H), op.f64x2mul, op.f64x2add, op.v128store(0),
    op.get(R0), op.get(C), op.get(X), op.f64x2mul, op.get(S), op.get(H), op.f64x2mul, op.f64x2sub, op.v128store(0),
    op.get(R0), op.i32(16), op.add, op.set(R0),
    op.get(R1), op.i32(16), op.add, op.set(R1),
    op.get(K), op.i32(1), op.sub, op.tee(K), op.brIf(0),
    op.end, op.end,
    op.br(0),
    op.end, op.end,
  ];
  return { name: 'rot', params: 6, locals: [[4, I32], [4, V128]], body };
}

/**
 * cholcol(lt, j, ld): the left-looking update of Cholesky column j on the transposed factor Lt
 * (Lt[p·ld + i] = L[i, p], row stride ld doubles, a multiple of 8): for the 8-entry chunks from
 * i = j rounded down to 8 up to ld, Lt[j, i] ← Lt[j, i] − Σ_{p<j} Lt[p, i]·Lt[p, j] in ascending p,
 * each term subtracted as it comes (`cholesky`'s t −= L_ip L_jp). Entries i < j of the chunk are
 * scratch (never read by later columns).
 */
function cholKernel(): FuncDef {
  const [LT, J, LD] = [0, 1, 2];
  const [C, CEND, P, ROW, XP, CP, STRIDE] = [3, 4, 5, 6, 7, 8, 9];
  const ACC = 10, XV = 14;
  const body: Code = [
    op.get(LD), op.i32(8), op.mul, op.set(STRIDE), // bytes per row
    op.get(LT), op.get(J), op.get(STRIDE), op.mul, op.add, op.set(ROW), // &Lt[j, 0]
    op.get(J), op.i32(-8), op.and, op.set(C), // first chunk index
    op.block, op.loop,
    op.get(C), op.get(LD), op.geU, op.brIf(1),
    op.get(ROW), op.get(C), op.i32(8), op.mul, op.add, op.set(CP),
    ...[0, 1, 2, 3].flatMap((q) => [op.get(CP), op.v128load(16 * q), op.set(ACC + q)]),
    op.get(LT), op.get(J), op.i32(8), op.mul, op.add, op.set(XP), // &Lt[0, j]
    op.get(LT), op.get(C), op.i32(8), op.mul, op.add, op.set(CEND), // &Lt[0, c] (reused as the p-row pointer)
    op.get(J), op.set(P),
    op.block, op.get(P), op.eqz, op.brIf(0), op.loop,
    op.get(XP), op.splat64(0), op.set(XV),
    ...[0, 1, 2, 3].flatMap((q) => [op.get(ACC + q), op.get(CEND), op.v128load(16 * q), op.get(XV), op.f64x2mul, op.f64x2sub, op.set(ACC + q)]),
    op.get(XP), op.get(STRIDE), op.add, op.set(XP),
    op.get(CEND), op.get(STRIDE), op.add, op.set(CEND),
    op.get(P), op.i32(1), op.sub, op.tee(P), op.brIf(0),
    op.end, op.end,
    ...[0, 1, 2, 3].flatMap((q) => [op.get(CP), op.get(ACC + q), op.v128store(16 * q)]),
    op.get(C), op.i32(8), op.add, op.set(C), op.br(0),
    op.end, op.end,
  ];
  return { name: 'cholcol', params: 3, locals: [[7, I32], [5, V128]], body };
}

// ---------------------------------------------------------------- instance

export interface Wasm64 {
  /** Float64 view of the module's memory (re-fetch after `reserve`, which may replace it). */
  f64(): Float64Array;
  /** Make the memory at least `bytes` long. */
  reserve(bytes: number): void;
  gemm4x4(a: number, b: number, c: number, mt: number, nt: number, kc: number, ldc: number, sym: number): void;
  llt8(l: number, u: number, panels: number, np: number, n: number): void;
  rot(v: number, cs: number, sn: number, l: number, m: number, ld: number): void;
  cholcol(lt: number, j: number, ld: number): void;
}

let instance: Wasm64 | null | undefined;
let enabled = true;

/**
 * Turn the WebAssembly kernels off (or back on): callers then take their JavaScript loops, which give
 * the same results. For tests of both paths and for timing comparisons.
 */
export function setWasm64Enabled(on: boolean): void { enabled = on; }

/** The kernels, or null where WebAssembly SIMD cannot be used here (or they are turned off). */
export function wasm64(): Wasm64 | null {
  if (!enabled) return null;
  if (instance !== undefined) return instance;
  instance = null;
  try {
    if (typeof WebAssembly !== 'object') return null;
    const bytes = assemble(KERNELS());
    if (!WebAssembly.validate(bytes)) return null;
    const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as Record<string, any>;
    const mem = ex.mem as WebAssembly.Memory;
    let view = new Float64Array(mem.buffer);
    instance = {
      f64: () => (view.buffer === mem.buffer ? view : (view = new Float64Array(mem.buffer))),
      reserve(bytes: number) {
        const have = mem.buffer.byteLength;
        if (bytes > have) mem.grow(Math.ceil((bytes - have) / 65536));
      },
      gemm4x4: ex.gemm4x4,
      llt8: ex.llt8,
      rot: ex.rot,
      cholcol: ex.cholcol,
    };
  } catch {
    instance = null;
  }
  return instance;
}

/** The module's bytes (for tests and inspection). */
export const wasm64Bytes = (): Uint8Array => assemble(KERNELS());

function KERNELS(): FuncDef[] { return [gemmKernel(), lltKernel(), rotKernel(), cholKernel()]; }
