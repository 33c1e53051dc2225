/**
 * The library's WebAssembly kernels, in AssemblyScript (compiled by `npm run build:wasm`, and at
 * `npm ci` by the `prepare` script, into the gitignored module src/generated/kernels-wasm.ts).
 *
 * Float64 kernels (f64x2) are element-wise in their SIMD lanes: a lane performs exactly the IEEE
 * operations, in exactly the order, of the scalar JavaScript it replaces (core WebAssembly SIMD has no
 * fused multiply-add and Binaryen never reassociates floating point), so results are bit-for-bit those
 * of the JavaScript loops. Every product entry is s ← s + a·b over the inner index p in ascending order,
 * starting from +0. The GEMM's fused twins (`gemm64f_4x4`, `gemm64sf`; MADD64T) are the one exception:
 * in the relaxed build they use `f64x2.relaxed_madd`, and they run only where that gives the same bits.
 *
 * Float32 kernels (f32x4) are the same loops in single precision. Compiled a second time with
 * `--enable relaxed-simd` (ASC_FEATURE_RELAXED_SIMD), their multiply-add is `f32x4.relaxed_madd`, which
 * the runtime may fuse (one rounding) or not (two): that module is loaded only where
 * `WebAssembly.validate` accepts it.
 *
 * All addresses are byte offsets into the module's memory, which JavaScript manages (no allocator,
 * no static data: the module uses no memory of its own).
 */

// ---------------------------------------------------------------- multiply-adds

/** c + a·b in float64, product rounded then sum rounded (never fused). */
// @ts-ignore: decorator
@inline function MADD64(c: v128, a: v128, b: v128): v128 { return f64x2.add(c, f64x2.mul(a, b)); }

/**
 * The float64 GEMM tiles' c + a·b: MADD64 for F = f64; for F = i64 (the `gemm64f_4x4` and `gemm64sf`
 * twins) `f64x2.relaxed_madd` in the relaxed module. The runtime may fuse it (one rounding) or not (two):
 * where every product a·b is exact in float64, both roundings are the one of the sum, so the twins give
 * MADD64's bits. That holds when a and b are float32 values (24-bit significands: the product's 48 bits
 * fit in 53, and its exponent stays in float64's normal range), which the caller checks (`f32exact`).
 */
// @ts-ignore: decorator
@inline function MADD64T<F>(c: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD && isInteger<F>()) return f64x2.relaxed_madd(a, b, c);
  return MADD64(c, a, b);
}

/** c + a·b in float32: two roundings in the core module, `relaxed_madd` in the relaxed one. */
// @ts-ignore: decorator
@inline function MADD32(c: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** 1 in the module compiled with relaxed SIMD, 0 in the core one. */
export function relaxed(): i32 { return ASC_FEATURE_RELAXED_SIMD ? 1 : 0; }

// ---------------------------------------------------------------- the original 4×4 f64 kernel

/**
 * gemm4x4(a, b, c, mt, nt, kc, ldc, sym): for every 4×4 tile (it < mt, jt < nt; with sym ≠ 0 only
 * it ≤ jt) C[4it.., 4jt..] += Apanel(it) · Bpanel(jt) over kc inner indices, ascending. Panels are
 * packed: A panel it holds, for each inner index p, the 4 entries A[4it + r, p] (32 bytes); B panel jt
 * holds the 4 entries B[p, 4jt + c]. C is row-major with a row stride of ldc bytes.
 */
export function gemm4x4(a: usize, b: usize, c: usize, mt: u32, nt: u32, kc: u32, ldc: u32, sym: u32): void {
  for (let jt: u32 = 0; jt < nt; jt++) {
    const iEnd: u32 = sym ? (jt + 1 < mt ? jt + 1 : mt) : mt;
    for (let it: u32 = 0; it < iEnd; it++) {
      tile64_4x4<f64>(a + <usize>(it * kc * 32), b + <usize>(jt * kc * 32), c + <usize>(it * ldc * 4 + jt * 32), <i32>kc, <usize>ldc, 0);
    }
  }
}

// ---------------------------------------------------------------- register-blocked GEMM with packed panels

/**
 * Pack `count` lines (rows of op(A) or columns of op(B)) over the inner indices p0 .. p0+kc into panels
 * of w lines (the line count padded to cp, a multiple of w, with zeros): panel t holds, for each q < kc,
 * the w entries (line t·w + r, index p0 + q), r < w. Entry (l, p) is the float64 at src + l·ls + p·ps
 * (bytes). With `narrow` ≠ 0 the panels hold float32 (rounded to nearest). Full panels take SIMD copies
 * where lines are adjacent (ls = 8), 2×2 transposes where indices are (ps = 8, w = 4, float64), and
 * narrowing 4×2 transposes where indices are (ps = 8, w a multiple of 4, float32).
 */
function pack(src: usize, dst: usize, count: i32, w: i32, cp: i32, p0: i32, kc: i32, ls: usize, ps: usize, narrow: i32): void {
  const es: usize = narrow ? 4 : 8;
  const full = count - count % w;
  // the w entries of an index adjacent, in whole vectors (4 narrowed floats or 2 doubles): copied by vectors
  const vectors = ls == 8 && (narrow ? (w & 3) == 0 : (w & 1) == 0);
  for (let l0 = 0; l0 < cp; l0 += w) {
    const base = src + <usize>l0 * ls + <usize>p0 * ps;
    if (l0 < full && vectors) {
      let s = base;
      if (narrow) {
        for (let q = 0; q < kc; q++) {
          for (let r = 0; r < w; r += 4) {
            const lo = f32x4.demote_f64x2_zero(v128.load(s + <usize>r * 8)), hi = f32x4.demote_f64x2_zero(v128.load(s + <usize>r * 8, 16));
            v128.store(dst, v128.shuffle<f32>(lo, hi, 0, 1, 4, 5));
            dst += 16;
          }
          s += ps;
        }
      } else {
        for (let q = 0; q < kc; q++) {
          for (let r = 0; r < w; r += 2) { v128.store(dst, v128.load(s + <usize>r * 8)); dst += 16; }
          s += ps;
        }
      }
    } else if (l0 < full && ps == 8 && w == 4 && !narrow) { // each line's entries are adjacent: 2×2 transposes
      const l1 = base + ls, l2 = l1 + ls, l3 = l2 + ls;
      let q = 0;
      for (; q + 2 <= kc; q += 2) {
        const o = <usize>q * 8;
        const x0 = v128.load(base + o), x1 = v128.load(l1 + o), x2 = v128.load(l2 + o), x3 = v128.load(l3 + o);
        v128.store(dst, v128.shuffle<f64>(x0, x1, 0, 2));
        v128.store(dst, v128.shuffle<f64>(x2, x3, 0, 2), 16);
        v128.store(dst, v128.shuffle<f64>(x0, x1, 1, 3), 32);
        v128.store(dst, v128.shuffle<f64>(x2, x3, 1, 3), 48);
        dst += 64;
      }
      for (; q < kc; q++) {
        const o = <usize>q * 8;
        store<f64>(dst, load<f64>(base + o)); store<f64>(dst, load<f64>(l1 + o), 8);
        store<f64>(dst, load<f64>(l2 + o), 16); store<f64>(dst, load<f64>(l3 + o), 24);
        dst += 32;
      }
    } else if (l0 < full && ps == 8 && narrow && (w & 3) == 0) { // lines' entries adjacent, float32: 4×2 blocks narrowed and transposed
      const stride = <usize>w * 4;
      for (let r0 = 0; r0 < w; r0 += 4) {
        const l0p = base + <usize>r0 * ls, l1 = l0p + ls, l2 = l1 + ls, l3 = l2 + ls;
        let o = dst + <usize>r0 * 4, q = 0;
        for (; q + 2 <= kc; q += 2) {
          const e = <usize>q * 8;
          // d_r = (line r at q, at q + 1, 0, 0) in float32, rounded to nearest as one entry at a time
          const d0 = f32x4.demote_f64x2_zero(v128.load(l0p + e)), d1 = f32x4.demote_f64x2_zero(v128.load(l1 + e));
          const d2 = f32x4.demote_f64x2_zero(v128.load(l2 + e)), d3 = f32x4.demote_f64x2_zero(v128.load(l3 + e));
          const a = v128.shuffle<f32>(d0, d1, 0, 4, 1, 5), b = v128.shuffle<f32>(d2, d3, 0, 4, 1, 5);
          v128.store(o, v128.shuffle<f32>(a, b, 0, 1, 4, 5));
          v128.store(o + stride, v128.shuffle<f32>(a, b, 2, 3, 6, 7));
          o += 2 * stride;
        }
        if (q < kc) {
          const e = <usize>q * 8;
          store<f32>(o, <f32>load<f64>(l0p + e)); store<f32>(o, <f32>load<f64>(l1 + e), 4);
          store<f32>(o, <f32>load<f64>(l2 + e), 8); store<f32>(o, <f32>load<f64>(l3 + e), 12);
        }
      }
      dst += <usize>kc * stride;
    } else if (l0 < full) { // strided in both: one entry at a time, no bounds test
      for (let q = 0; q < kc; q++) {
        const s = base + <usize>q * ps;
        if (narrow) for (let r = 0; r < w; r++) { store<f32>(dst, <f32>load<f64>(s + <usize>r * ls)); dst += 4; }
        else for (let r = 0; r < w; r++) { store<f64>(dst, load<f64>(s + <usize>r * ls)); dst += 8; }
      }
    } else { // the last, partial panel: lines ≥ count are zeros
      for (let q = 0; q < kc; q++) {
        const s = base + <usize>q * ps;
        for (let r = 0; r < w; r++) {
          const x: f64 = l0 + r < count ? load<f64>(s + <usize>r * ls) : 0;
          if (narrow) store<f32>(dst, <f32>x); else store<f64>(dst, x);
          dst += es;
        }
      }
    }
  }
}

/**
 * Pack rows [0, mp) (mp a multiple of mr; rows ≥ m are zeros) of op(A)[·, p0 .. p0+kc) into panels of mr
 * rows: panel it holds, for each q < kc, op(A)[it·mr + r, p0 + q] for r < mr. op(A)[i, p] is the float64
 * at src + i·rs + p·cs (bytes). With `narrow` ≠ 0 the panel holds float32 (rounded to nearest).
 */
export function packA(src: usize, dst: usize, m: i32, mr: i32, mp: i32, p0: i32, kc: i32, rs: usize, cs: usize, narrow: i32): void {
  pack(src, dst, m, mr, mp, p0, kc, rs, cs, narrow);
}

/**
 * Pack columns [0, np) (np a multiple of nr; columns ≥ n are zeros) of op(B)[p0 .. p0+kc), ·] into panels
 * of nr columns: panel jt holds, for each q < kc, op(B)[p0 + q, jt·nr + c] for c < nr. op(B)[p, j] is
 * the float64 at src + p·rs + j·cs (bytes). With `narrow` ≠ 0 the panel holds float32.
 */
export function packB(src: usize, dst: usize, n: i32, nr: i32, np: i32, p0: i32, kc: i32, rs: usize, cs: usize, narrow: i32): void {
  pack(src, dst, n, nr, np, p0, kc, cs, rs, narrow);
}

/**
 * narrow(src, dst, r, c, t): the float64 r×c row-major matrix at src as float32 (rounded to nearest) at
 * dst, transposed to c×r when t ≠ 0 (in 8×8 blocks), as JavaScript's Float32Array stores round.
 */
export function narrow(src: usize, dst: usize, r: i32, c: i32, t: i32): void {
  if (!t) {
    const count = r * c;
    let i = 0;
    for (; i + 4 <= count; i += 4) {
      const lo = f32x4.demote_f64x2_zero(v128.load(src)), hi = f32x4.demote_f64x2_zero(v128.load(src, 16));
      v128.store(dst, v128.shuffle<f32>(lo, hi, 0, 1, 4, 5));
      src += 32; dst += 16;
    }
    for (; i < count; i++) { store<f32>(dst, <f32>load<f64>(src)); src += 8; dst += 4; }
    return;
  }
  for (let i0 = 0; i0 < r; i0 += 8) {
    const i1 = i0 + 8 < r ? i0 + 8 : r;
    for (let j0 = 0; j0 < c; j0 += 8) {
      const j1 = j0 + 8 < c ? j0 + 8 : c;
      for (let i = i0; i < i1; i++) {
        const s = src + (<usize>i * c) * 8;
        for (let j = j0; j < j1; j++) store<f32>(dst + (<usize>j * r + i) * 4, <f32>load<f64>(s + <usize>j * 8));
      }
    }
  }
}

/** Widen count float32 at src to float64 at dst (exact). */
export function widen(src: usize, dst: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const v = v128.load(src);
    v128.store(dst, f64x2.promote_low_f32x4(v));
    v128.store(dst, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)), 16);
    src += 16; dst += 32;
  }
  for (; i < count; i++) { store<f64>(dst, <f64>load<f32>(src)); src += 4; dst += 8; }
}

/**
 * reluGrad(c, ldc, a, y, r, k0, k1, nn, sN, cst, pa, mp, kcb, n): rows k0 ≤ k < k1 of Model B's relu
 * gradient (models/singleIndex.ts `gradientW`) from the float32 pre-activations U (row k at c + k·ldc
 * bytes, nn entries), widened exactly: the residual r_k = y_k − sN·Σ_i a_i·max(U_ki, 0) (the sum in
 * ascending i from +0, as the JavaScript loop), stored as float64 at r + 8k, and G_ki = (cst·r_k)·a_i·
 * [U_ki > 0] (float64, then rounded to float32 as packing does) written straight into the packed
 * mr = 4 panels of Gᵀ (nn×n, inner index k; `packA`'s layout: inner-index blocks of kcb, block p0 at
 * pa + mp·p0·4, panel t at + t·16·kc, index q at + 16q), the panel rows nn ≤ i < mp zeros. The same
 * operations in the same order as JavaScript's loop followed by packing G, so the same bits. Rows go
 * four at a time where they start at a multiple of 4 (kcb is one): their four sums advance together in
 * two f64x2 lanes (four independent chains instead of one), and each panel gets one whole 64-byte line
 * (the panels lie 16·kc bytes apart, a multiple of 4 KiB, so one row at a time would write 16 bytes to
 * each of nn/4 lines in one cache set).
 */
export function reluGrad(c: usize, ldc: usize, a: usize, y: usize, r: usize, k0: i32, k1: i32, nn: i32, sN: f64, cst: f64, pa: usize, mp: i32, kcb: i32, n: i32): void {
  let k = k0;
  while (k < k1) {
    const p0 = k - k % kcb, kc = n - p0 < kcb ? n - p0 : kcb;
    const dst = pa + (<usize>mp * <usize>p0 + <usize>(k - p0) * 4) * 4;
    if ((k & 3) == 0 && k + 4 <= k1) { reluRows4(c + <usize>k * ldc, ldc, a, y + (<usize>k << 3), r + (<usize>k << 3), nn, sN, cst, dst, mp, <usize>kc * 16); k += 4; }
    else { reluRow(c + <usize>k * ldc, a, y + (<usize>k << 3), r + (<usize>k << 3), nn, sN, cst, dst, mp, <usize>kc * 16); k++; }
  }
}

/** One row of reluGrad (row at u, y_k at yk, r_k to rk, its panel entries from dst, panels pst bytes apart). */
function reluRow(u: usize, a: usize, yk: usize, rk: usize, nn: i32, sN: f64, cst: f64, dst: usize, mp: i32, pst: usize): void {
  let s: f64 = 0;
  for (let i = 0; i < nn; i++) {
    const x = <f64>load<f32>(u + (<usize>i << 2));
    s += load<f64>(a + (<usize>i << 3)) * (x > 0 ? x : 0);
  }
  const rv = load<f64>(yk) - sN * s;
  store<f64>(rk, rv);
  const cr = cst * rv, crv = f64x2.splat(cr), one = f64x2.splat(1), zero = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= nn; i += 4) {
    const ap = a + (<usize>i << 3);
    v128.store(dst, gradRow4(v128.load(u + (<usize>i << 2)), crv, v128.load(ap), v128.load(ap, 16), one, zero));
    dst += pst;
  }
  if (i < mp) gradTail(u, a, cr, i, nn, dst);
}

/**
 * The last, partial panel of a G row: entries i … i+3 as float32 at dst, ((cr·a_i)·[x_i > 0]) where i < nn
 * (the scalar form of gradRow4), zeros past nn.
 */
function gradTail(u: usize, a: usize, cr: f64, i: i32, nn: i32, dst: usize): void {
  for (let j = 0; j < 4; j++, i++) {
    let g: f32 = 0;
    if (i < nn) {
      const x = <f64>load<f32>(u + (<usize>i << 2));
      g = <f32>(cr * load<f64>(a + (<usize>i << 3)) * (x > 0 ? 1.0 : 0.0));
    }
    store<f32>(dst + (<usize>j << 2), g);
  }
}

/** max(x, 0) lane-wise as `x > 0 ? x : 0` (+0 for x ≤ 0 and NaN). */
// @ts-ignore: decorator
@inline function relu2(x: v128): v128 { return v128.and(x, f64x2.gt(x, f64x2.splat(0))); }

/** Rows k..k+3 of reluGrad (the first at u, row stride ldc; y, r from yk, rk; panel entries from dst, 64 bytes per panel). */
function reluRows4(u: usize, ldc: usize, a: usize, yk: usize, rk: usize, nn: i32, sN: f64, cst: f64, dst: usize, mp: i32, pst: usize): void {
  const u1 = u + ldc, u2 = u1 + ldc, u3 = u2 + ldc;
  let s01 = f64x2.splat(0), s23 = f64x2.splat(0); // (s_k, s_k+1), (s_k+2, s_k+3)
  let i = 0;
  for (; i + 4 <= nn; i += 4) {
    const o = <usize>i << 2, ap = a + (<usize>i << 3);
    const x0 = v128.load(u + o), x1 = v128.load(u1 + o), x2 = v128.load(u2 + o), x3 = v128.load(u3 + o);
    const l01 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), h01 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
    const l23 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5), h23 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
    let av = v128.load64_splat(ap);
    s01 = f64x2.add(s01, f64x2.mul(av, relu2(f64x2.promote_low_f32x4(l01))));
    s23 = f64x2.add(s23, f64x2.mul(av, relu2(f64x2.promote_low_f32x4(l23))));
    av = v128.load64_splat(ap, 8);
    s01 = f64x2.add(s01, f64x2.mul(av, relu2(f64x2.promote_low_f32x4(i32x4.shuffle(l01, l01, 2, 3, 0, 1)))));
    s23 = f64x2.add(s23, f64x2.mul(av, relu2(f64x2.promote_low_f32x4(i32x4.shuffle(l23, l23, 2, 3, 0, 1)))));
    av = v128.load64_splat(ap, 16);
    s01 = f64x2.add(s01, f64x2.mul(av, relu2(f64x2.promote_low_f32x4(h01))));
    s23 = f64x2.add(s23, f64x2.mul(av, relu2(f64x2.promote_low_f32x4(h23))));
    av = v128.load64_splat(ap, 24);
    s01 = f64x2.add(s01, f64x2.mul(av, relu2(f64x2.promote_low_f32x4(i32x4.shuffle(h01, h01, 2, 3, 0, 1)))));
    s23 = f64x2.add(s23, f64x2.mul(av, relu2(f64x2.promote_low_f32x4(i32x4.shuffle(h23, h23, 2, 3, 0, 1)))));
  }
  let s0 = f64x2.extract_lane(s01, 0), s1 = f64x2.extract_lane(s01, 1), s2 = f64x2.extract_lane(s23, 0), s3 = f64x2.extract_lane(s23, 1);
  for (; i < nn; i++) {
    const o = <usize>i << 2, ai = load<f64>(a + (<usize>i << 3));
    const x0 = <f64>load<f32>(u + o), x1 = <f64>load<f32>(u1 + o), x2 = <f64>load<f32>(u2 + o), x3 = <f64>load<f32>(u3 + o);
    s0 += ai * (x0 > 0 ? x0 : 0); s1 += ai * (x1 > 0 ? x1 : 0); s2 += ai * (x2 > 0 ? x2 : 0); s3 += ai * (x3 > 0 ? x3 : 0);
  }
  const r0 = load<f64>(yk) - sN * s0, r1 = load<f64>(yk, 8) - sN * s1, r2 = load<f64>(yk, 16) - sN * s2, r3 = load<f64>(yk, 24) - sN * s3;
  store<f64>(rk, r0); store<f64>(rk, r1, 8); store<f64>(rk, r2, 16); store<f64>(rk, r3, 24);
  const c0 = f64x2.splat(cst * r0), c1 = f64x2.splat(cst * r1), c2 = f64x2.splat(cst * r2), c3 = f64x2.splat(cst * r3);
  const one = f64x2.splat(1), zero = f64x2.splat(0);
  i = 0;
  for (; i + 4 <= nn; i += 4) {
    const o = <usize>i << 2, ap = a + (<usize>i << 3);
    const alo = v128.load(ap), ahi = v128.load(ap, 16);
    v128.store(dst, gradRow4(v128.load(u + o), c0, alo, ahi, one, zero));
    v128.store(dst, gradRow4(v128.load(u1 + o), c1, alo, ahi, one, zero), 16);
    v128.store(dst, gradRow4(v128.load(u2 + o), c2, alo, ahi, one, zero), 32);
    v128.store(dst, gradRow4(v128.load(u3 + o), c3, alo, ahi, one, zero), 48);
    dst += pst;
  }
  if (i < mp) { // the last, partial panel: each row's 16 bytes of its line
    gradTail(u, a, cst * r0, i, nn, dst); gradTail(u1, a, cst * r1, i, nn, dst + 16);
    gradTail(u2, a, cst * r2, i, nn, dst + 32); gradTail(u3, a, cst * r3, i, nn, dst + 48);
  }
}

/** Four entries of a G row as float32: ((cr·a_i)·[x_i > 0]) for the float32 x (4 lanes), a in alo, ahi. */
// @ts-ignore: decorator
@inline function gradRow4(x: v128, cr: v128, alo: v128, ahi: v128, one: v128, zero: v128): v128 {
  const lo = f64x2.promote_low_f32x4(x), hi = f64x2.promote_low_f32x4(i32x4.shuffle(x, x, 2, 3, 0, 1));
  const glo = f64x2.mul(f64x2.mul(cr, alo), v128.and(f64x2.gt(lo, zero), one));
  const ghi = f64x2.mul(f64x2.mul(cr, ahi), v128.and(f64x2.gt(hi, zero), one));
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(glo), f32x4.demote_f64x2_zero(ghi), 0, 1, 4, 5);
}

// ---------------------------------------------------------------- triangular solves, rotations, Cholesky

/**
 * llt8(l, u, panels, k0, k1, n): for each panel k0 ≤ k < k1 of 8 right-hand sides (panel k at panels + k·n·64;
 * entry i of the panel holds component i of the 8 vectors, 64 bytes), solve x L Lᵀ = b in place:
 * forward y_i = (b_i − Σ_{p<i} L_ip y_p)/L_ii, then backward x_i = (y_i − Σ_{p>i} U_ip x_p)/U_ii with
 * U = Lᵀ (row-major n×n at u), sums in ascending p: `solveRowsLLt`'s operations lane by lane. Each
 * panel is solved alone, so a range of panels is a kernel thread's share.
 */
export function llt8(l: usize, u: usize, panels: usize, k0: u32, k1: u32, n: u32): void {
  for (let k: u32 = k0; k < k1; k++) {
    const pk = panels + <usize>(k * n * 64);
    for (let i: u32 = 0; i < n; i++) { // forward
      const row = pk + <usize>(i * 64);
      let a0 = v128.load(row, 0), a1 = v128.load(row, 16), a2 = v128.load(row, 32), a3 = v128.load(row, 48);
      let lp = l + <usize>(i * n * 8), yp = pk;
      for (let p = i; p > 0; p--) {
        const av = v128.load64_splat(lp);
        a0 = f64x2.sub(a0, f64x2.mul(av, v128.load(yp, 0)));
        a1 = f64x2.sub(a1, f64x2.mul(av, v128.load(yp, 16)));
        a2 = f64x2.sub(a2, f64x2.mul(av, v128.load(yp, 32)));
        a3 = f64x2.sub(a3, f64x2.mul(av, v128.load(yp, 48)));
        lp += 8; yp += 64;
      }
      const d = v128.load64_splat(lp); // L_ii
      v128.store(row, f64x2.div(a0, d), 0); v128.store(row, f64x2.div(a1, d), 16);
      v128.store(row, f64x2.div(a2, d), 32); v128.store(row, f64x2.div(a3, d), 48);
    }
    for (let i = n; i > 0;) { // backward: i = n−1 … 0
      i--;
      const row = pk + <usize>(i * 64);
      let a0 = v128.load(row, 0), a1 = v128.load(row, 16), a2 = v128.load(row, 32), a3 = v128.load(row, 48);
      const dp = u + <usize>((i * n + i) * 8); // &U_ii
      let lp = dp, yp = row + 64;
      for (let p = n - i - 1; p > 0; p--) {
        lp += 8;
        const av = v128.load64_splat(lp);
        a0 = f64x2.sub(a0, f64x2.mul(av, v128.load(yp, 0)));
        a1 = f64x2.sub(a1, f64x2.mul(av, v128.load(yp, 16)));
        a2 = f64x2.sub(a2, f64x2.mul(av, v128.load(yp, 32)));
        a3 = f64x2.sub(a3, f64x2.mul(av, v128.load(yp, 48)));
        yp += 64;
      }
      const d = v128.load64_splat(dp);
      v128.store(row, f64x2.div(a0, d), 0); v128.store(row, f64x2.div(a1, d), 16);
      v128.store(row, f64x2.div(a2, d), 32); v128.store(row, f64x2.div(a3, d), 48);
    }
  }
}

/**
 * rotSweeps(v, coef, sw, nsw, ld, v0, v1): the plane rotations of `nsw` recorded implicit-QL sweeps,
 * in recorded order, on the column vectors v0 ≤ q < v1 of V (two doubles each: columns 2q and 2q + 1;
 * row stride ld doubles, ld even, 16-byte aligned rows). Sweep s spans rows l_s ≤ i ≤ m_s (two i32 at
 * sw + 8s); its rotations i = m_s − 1 down to l_s are (c_i, s_i) pairs in `coef`, sweep after sweep.
 * Rotation i of a sweep is tql2's V[i+1, k] ← s_i·V[i, k] + c_i·V[i+1, k], V[i, k] ← c_i·V[i, k] −
 * s_i·V[i+1, k] (old values) on every column k, the same operations in the same order: a QL sweep's
 * rotations depend only on the tridiagonal matrix, never on V, so `ql` records them for later, and
 * column k of V depends only on column k. A strip of 16 columns goes through all the sweeps, row i+1's
 * current value carried in registers; the strip stays in cache (25 KiB at n = 200), and disjoint column
 * ranges can go to different threads. 16 columns against 8: the same time at n = 200, 22 % less at
 * n = 1024 (measured in one process, 2026-12-02); 2 columns took 2.8× as long, so the last columns
 * (fewer than 16) go in strips of 8, then 2. (The per-sweep kernel this replaced had to block V's rows
 * to stay in L2; a strip that goes through every sweep reuses its cache lines without that.)
 */
export function rotSweeps(v: usize, coef: usize, sw: usize, nsw: i32, ld: u32, v0: u32, v1: u32): void {
  const st = <usize>(ld * 8);
  let col = v0;
  for (; col + 8 <= v1; col += 8) {
    const base = v + <usize>(col * 16);
    let cp = coef;
    for (let q = 0; q < nsw; q++) {
      const l = load<i32>(sw + (<usize>q << 3)), m = load<i32>(sw + (<usize>q << 3), 4);
      let rp = base + <usize>m * st;
      let h0 = v128.load(rp, 0), h1 = v128.load(rp, 16), h2 = v128.load(rp, 32), h3 = v128.load(rp, 48);
      let h4 = v128.load(rp, 64), h5 = v128.load(rp, 80), h6 = v128.load(rp, 96), h7 = v128.load(rp, 112);
      for (let i = m; i > l; i--, cp += 16, rp -= st) {
        const c = v128.load64_splat(cp), s = v128.load64_splat(cp, 8), xp = rp - st;
        h0 = rotate(rp, xp, 0, c, s, h0); h1 = rotate(rp, xp, 16, c, s, h1); h2 = rotate(rp, xp, 32, c, s, h2); h3 = rotate(rp, xp, 48, c, s, h3);
        h4 = rotate(rp, xp, 64, c, s, h4); h5 = rotate(rp, xp, 80, c, s, h5); h6 = rotate(rp, xp, 96, c, s, h6); h7 = rotate(rp, xp, 112, c, s, h7);
      }
      v128.store(rp, h0, 0); v128.store(rp, h1, 16); v128.store(rp, h2, 32); v128.store(rp, h3, 48);
      v128.store(rp, h4, 64); v128.store(rp, h5, 80); v128.store(rp, h6, 96); v128.store(rp, h7, 112);
    }
  }
  for (; col + 4 <= v1; col += 4) {
    const base = v + <usize>(col * 16);
    let cp = coef;
    for (let q = 0; q < nsw; q++) {
      const l = load<i32>(sw + (<usize>q << 3)), m = load<i32>(sw + (<usize>q << 3), 4);
      let rp = base + <usize>m * st;
      let h0 = v128.load(rp, 0), h1 = v128.load(rp, 16), h2 = v128.load(rp, 32), h3 = v128.load(rp, 48);
      for (let i = m; i > l; i--, cp += 16, rp -= st) {
        const c = v128.load64_splat(cp), s = v128.load64_splat(cp, 8), xp = rp - st;
        h0 = rotate(rp, xp, 0, c, s, h0); h1 = rotate(rp, xp, 16, c, s, h1); h2 = rotate(rp, xp, 32, c, s, h2); h3 = rotate(rp, xp, 48, c, s, h3);
      }
      v128.store(rp, h0, 0); v128.store(rp, h1, 16); v128.store(rp, h2, 32); v128.store(rp, h3, 48);
    }
  }
  for (; col < v1; col++) {
    const base = v + <usize>(col * 16);
    let cp = coef;
    for (let q = 0; q < nsw; q++) {
      const l = load<i32>(sw + (<usize>q << 3)), m = load<i32>(sw + (<usize>q << 3), 4);
      let rp = base + <usize>m * st;
      let h = v128.load(rp);
      for (let i = m; i > l; i--, cp += 16, rp -= st) h = rotate(rp, rp - st, 0, v128.load64_splat(cp), v128.load64_splat(cp, 8), h);
      v128.store(rp, h);
    }
  }
}

/** One rotation on one vector (two columns) of rows x (at xp) and y (carried in h, stored at rp): y ← s·x + c·h stored, returns c·x − s·h. */
// @ts-ignore: decorator
@inline function rotate(rp: usize, xp: usize, o: usize, c: v128, s: v128, h: v128): v128 {
  const x = v128.load(xp + o);
  v128.store(rp + o, f64x2.add(f64x2.mul(s, x), f64x2.mul(c, h)));
  return f64x2.sub(f64x2.mul(c, x), f64x2.mul(s, h));
}

/**
 * rotSweepsBack(v, coef, sw, nsw, ld, v0, v1, nrot): the transposes of `rotSweeps`' rotations (nsw
 * sweeps, nrot rotations in all) in the reverse order, on the column vectors [v0, v1) of V: the last
 * sweep first, each from i = l up to m − 1, rows i and i+1 ← (c·x + s·y, c·y − s·x) for x, y the rows
 * i, i+1 (row i+1's new value carried in registers). Applied after `rotSweeps` with the same record it
 * undoes it up to rounding: `rotateBack` in src/linalg.ts, bit for bit.
 */
export function rotSweepsBack(v: usize, coef: usize, sw: usize, nsw: i32, ld: u32, v0: u32, v1: u32, nrot: i32): void {
  const st = <usize>(ld * 8), end = coef + (<usize>nrot << 4);
  let col = v0;
  for (; col + 4 <= v1; col += 4) {
    const base = v + <usize>(col * 16);
    let cp = end;
    for (let q = nsw - 1; q >= 0; q--) {
      const l = load<i32>(sw + (<usize>q << 3)), m = load<i32>(sw + (<usize>q << 3), 4);
      let rp = base + <usize>l * st;
      let h0 = v128.load(rp, 0), h1 = v128.load(rp, 16), h2 = v128.load(rp, 32), h3 = v128.load(rp, 48);
      for (let i = l; i < m; i++, rp += st) {
        cp -= 16;
        const c = v128.load64_splat(cp), s = v128.load64_splat(cp, 8), yp = rp + st;
        h0 = rotateBack(rp, yp, 0, c, s, h0); h1 = rotateBack(rp, yp, 16, c, s, h1);
        h2 = rotateBack(rp, yp, 32, c, s, h2); h3 = rotateBack(rp, yp, 48, c, s, h3);
      }
      v128.store(rp, h0, 0); v128.store(rp, h1, 16); v128.store(rp, h2, 32); v128.store(rp, h3, 48);
    }
  }
  for (; col < v1; col++) {
    const base = v + <usize>(col * 16);
    let cp = end;
    for (let q = nsw - 1; q >= 0; q--) {
      const l = load<i32>(sw + (<usize>q << 3)), m = load<i32>(sw + (<usize>q << 3), 4);
      let rp = base + <usize>l * st;
      let h = v128.load(rp);
      for (let i = l; i < m; i++, rp += st) { cp -= 16; h = rotateBack(rp, rp + st, 0, v128.load64_splat(cp), v128.load64_splat(cp, 8), h); }
      v128.store(rp, h);
    }
  }
}

/** One transposed rotation on one vector of rows x (carried in h, stored at rp) and y (at yp): x ← c·x + s·y stored, returns c·y − s·x. */
// @ts-ignore: decorator
@inline function rotateBack(rp: usize, yp: usize, o: usize, c: v128, s: v128, h: v128): v128 {
  const y = v128.load(yp + o);
  v128.store(rp + o, f64x2.add(f64x2.mul(c, h), f64x2.mul(s, y)));
  return f64x2.sub(f64x2.mul(c, y), f64x2.mul(s, h));
}

/** ml-matrix 6.15's `hypotenuse` (src/linalg.ts `hypot`): the same IEEE operations. */
// @ts-ignore: decorator
@inline function hypotJ(a: f64, b: f64): f64 {
  if (Math.abs(a) > Math.abs(b)) { const r = b / a; return Math.abs(a) * Math.sqrt(1 + r * r); }
  if (b != 0) { const r = a / b; return Math.abs(b) * Math.sqrt(1 + r * r); }
  return 0;
}

/**
 * ql(d, e, n, coef, sw, cap, st): the implicit-QL iteration of JAMA's `tql2` (src/linalg.ts, the
 * reference it must equal bit for bit) on the tridiagonal matrix (d, e; e already shifted down by one,
 * as `tql2` does first), recording each sweep's rotations instead of applying them: sweep s's (l, m) as
 * two i32 at sw + 8s and its (c, s) pairs, i = m − 1 down to l, at coef, after the previous sweep's.
 * `rotSweeps` applies them to V. It stops before a sweep that would take the record past `cap`
 * rotations and saves where it is in five doubles at st (l, f, tst1, m, 1 inside l's iterations); a
 * call with st as left continues there. st starts as (0, 0, 0, 0, 0). Returns the number of sweeps
 * recorded (their rotations: st[5]); st[0] = n when the iteration is complete.
 */
export function ql(d: usize, e: usize, n: i32, coef: usize, sw: usize, cap: i32, st: usize): i32 {
  let l = <i32>load<f64>(st), f = load<f64>(st, 8), tst1 = load<f64>(st, 16), m = <i32>load<f64>(st, 24);
  let inside = load<f64>(st, 32) != 0;
  const eps = f64.EPSILON;
  let sweeps = 0, used = 0;
  for (; l < n; l++) {
    const dl = d + (<usize>l << 3), el = e + (<usize>l << 3);
    if (!inside) {
      tst1 = Math.max(tst1, Math.abs(load<f64>(dl)) + Math.abs(load<f64>(el)));
      m = l;
      while (m < n) {
        if (Math.abs(load<f64>(e + (<usize>m << 3))) <= eps * tst1) break;
        m++;
      }
    }
    inside = false;
    if (m > l) {
      do {
        if (used + (m - l) > cap) {
          store<f64>(st, <f64>l); store<f64>(st, f, 8); store<f64>(st, tst1, 16); store<f64>(st, <f64>m, 24);
          store<f64>(st, 1, 32); store<f64>(st, <f64>used, 40);
          return sweeps;
        }
        let g = load<f64>(dl);
        let p = (load<f64>(dl, 8) - g) / (2 * load<f64>(el));
        let r = hypotJ(p, 1);
        if (p < 0) r = -r;
        store<f64>(dl, load<f64>(el) / (p + r));
        store<f64>(dl, load<f64>(el) * (p + r), 8);
        const dl1 = load<f64>(dl, 8);
        let h = g - load<f64>(dl);
        for (let i = l + 2; i < n; i++) { const di = d + (<usize>i << 3); store<f64>(di, load<f64>(di) - h); }
        f = f + h;
        p = load<f64>(d + (<usize>m << 3));
        let c = 1.0, c2 = c, c3 = c, s = 0.0, s2 = 0.0;
        const el1 = load<f64>(el, 8);
        let cp = coef + (<usize>used << 4);
        for (let i = m - 1; i >= l; i--) {
          const di = d + (<usize>i << 3), ei = e + (<usize>i << 3);
          c3 = c2;
          c2 = c;
          s2 = s;
          const eiv = load<f64>(ei);
          g = c * eiv;
          h = c * p;
          r = hypotJ(p, eiv);
          store<f64>(ei, s * r, 8);
          s = eiv / r;
          c = p / r;
          const div = load<f64>(di);
          p = c * div - s * g;
          store<f64>(di, h + s * (c * g + s * div), 8);
          store<f64>(cp, c); store<f64>(cp, s, 8);
          cp += 16;
        }
        store<i32>(sw + (<usize>sweeps << 3), l); store<i32>(sw + (<usize>sweeps << 3), m, 4);
        sweeps++;
        used += m - l;
        p = (((((-s) * s2) * c3) * el1) * load<f64>(el)) / dl1;
        store<f64>(el, s * p);
        store<f64>(dl, c * p);
      } while (Math.abs(load<f64>(el)) > eps * tst1);
    }
    store<f64>(dl, load<f64>(dl) + f);
    store<f64>(el, 0);
  }
  store<f64>(st, <f64>n); store<f64>(st, f, 8); store<f64>(st, tst1, 16); store<f64>(st, 0, 24);
  store<f64>(st, 0, 32); store<f64>(st, <f64>used, 40);
  return sweeps;
}

/**
 * bidiag(at, m, n, s, e, work): the Householder bidiagonalisation of ml-matrix 6.15's
 * `SingularValueDecomposition` without singular vectors (`bidiagonalize` in src/linalg.ts, the reference
 * it must equal bit for bit) on the m×n matrix stored as its transpose at (column j of A at
 * at + 8·j·m), with s (min(m + 1, n) doubles), e (n) and work (m): the same operations in the same order.
 */
export function bidiag(at: usize, m: i32, n: i32, s: usize, e: usize, work: usize): void {
  const nct = min<i32>(m - 1, n), nrt = max<i32>(0, min<i32>(n - 2, m)), mrc = max<i32>(nct, nrt);
  const cs = <usize>m << 3;
  for (let k = 0; k < mrc; k++) {
    const rk = at + <usize>k * cs;
    if (k < nct) {
      let sk = 0.0;
      for (let i = k; i < m; i++) sk = hypotJ(sk, load<f64>(rk + (<usize>i << 3)));
      if (sk != 0) {
        if (load<f64>(rk + (<usize>k << 3)) < 0) sk = -sk;
        for (let i = k; i < m; i++) { const o = rk + (<usize>i << 3); store<f64>(o, load<f64>(o) / sk); }
        store<f64>(rk + (<usize>k << 3), load<f64>(rk + (<usize>k << 3)) + 1);
      }
      store<f64>(s + (<usize>k << 3), -sk);
    }
    const reflect = k < nct && load<f64>(s + (<usize>k << 3)) != 0;
    for (let j = k + 1; j < n; j++) {
      const rj = at + <usize>j * cs;
      if (reflect) {
        let t = 0.0;
        for (let i = k; i < m; i++) t += load<f64>(rk + (<usize>i << 3)) * load<f64>(rj + (<usize>i << 3));
        t = -t / load<f64>(rk + (<usize>k << 3));
        for (let i = k; i < m; i++) { const o = <usize>i << 3; store<f64>(rj + o, load<f64>(rj + o) + t * load<f64>(rk + o)); }
      }
      store<f64>(e + (<usize>j << 3), load<f64>(rj + (<usize>k << 3)));
    }
    if (k < nrt) {
      const ek0 = e + (<usize>k << 3);
      let ek = 0.0;
      for (let i = k + 1; i < n; i++) ek = hypotJ(ek, load<f64>(e + (<usize>i << 3)));
      if (ek != 0) {
        if (load<f64>(ek0, 8) < 0) ek = 0 - ek;
        for (let i = k + 1; i < n; i++) { const o = e + (<usize>i << 3); store<f64>(o, load<f64>(o) / ek); }
        store<f64>(ek0, load<f64>(ek0, 8) + 1, 8);
      }
      ek = -ek;
      store<f64>(ek0, ek);
      if (k + 1 < m && ek != 0) {
        for (let i = k + 1; i < m; i++) store<f64>(work + (<usize>i << 3), 0);
        for (let i = k + 1; i < m; i++) {
          let wi = load<f64>(work + (<usize>i << 3));
          for (let j = k + 1; j < n; j++) wi += load<f64>(e + (<usize>j << 3)) * load<f64>(at + <usize>j * cs + (<usize>i << 3));
          store<f64>(work + (<usize>i << 3), wi);
        }
        const ek1 = load<f64>(ek0, 8);
        for (let j = k + 1; j < n; j++) {
          const t = -load<f64>(e + (<usize>j << 3)) / ek1, rj = at + <usize>j * cs;
          for (let i = k + 1; i < m; i++) { const o = <usize>i << 3; store<f64>(rj + o, load<f64>(rj + o) + t * load<f64>(work + o)); }
        }
      }
    }
  }
}

// ---------------------------------------------------------------- Householder tridiagonalisation

/**
 * y[0..len) ← y + Σ_{q<cnt} a_q·X_q in ascending q, each product rounded and then added (the sum of
 * one entry is the same as cnt separate passes): rows X_q at x + q·st bytes, coefficients a_q at ap.
 * Up to four rows per pass over y, so y is loaded and stored once per four rows.
 */
function axpyRows(y: usize, x: usize, st: usize, ap: usize, cnt: i32, len: i32): void {
  let q = 0;
  for (; q + 4 <= cnt; q += 4) {
    const x0 = x + <usize>q * st, x1 = x0 + st, x2 = x1 + st, x3 = x2 + st;
    const qa = ap + (<usize>q << 3);
    const a0s = load<f64>(qa), a1s = load<f64>(qa, 8), a2s = load<f64>(qa, 16), a3s = load<f64>(qa, 24);
    const a0 = f64x2.splat(a0s), a1 = f64x2.splat(a1s), a2 = f64x2.splat(a2s), a3 = f64x2.splat(a3s);
    let j = 0;
    for (; j + 2 <= len; j += 2) {
      const o = <usize>j << 3;
      let s = v128.load(y + o);
      s = f64x2.add(s, f64x2.mul(v128.load(x0 + o), a0));
      s = f64x2.add(s, f64x2.mul(v128.load(x1 + o), a1));
      s = f64x2.add(s, f64x2.mul(v128.load(x2 + o), a2));
      s = f64x2.add(s, f64x2.mul(v128.load(x3 + o), a3));
      v128.store(y + o, s);
    }
    if (j < len) {
      const o = <usize>j << 3;
      let s = load<f64>(y + o);
      s = s + load<f64>(x0 + o) * a0s;
      s = s + load<f64>(x1 + o) * a1s;
      s = s + load<f64>(x2 + o) * a2s;
      s = s + load<f64>(x3 + o) * a3s;
      store<f64>(y + o, s);
    }
  }
  for (; q < cnt; q++) {
    const xq = x + <usize>q * st, as = load<f64>(ap + (<usize>q << 3)), a = f64x2.splat(as);
    let j = 0;
    for (; j + 2 <= len; j += 2) {
      const o = <usize>j << 3;
      v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.mul(v128.load(xq + o), a)));
    }
    if (j < len) {
      const o = <usize>j << 3;
      store<f64>(y + o, load<f64>(y + o) + load<f64>(xq + o) * as);
    }
  }
}

/**
 * gemvt(y, x, st, a, cnt, len): y[0..len) = Σ_{q<cnt} a_q·X_q, each entry summed in ascending q from +0
 * (rows X_q at x + q·st bytes): with X = Sᵀ, entry i is JavaScript's row loop `t += S_iq·v_q` (`matvecs`).
 */
export function gemvt(y: usize, x: usize, st: usize, a: usize, cnt: i32, len: i32): void {
  memory.fill(y, 0, <usize>len << 3);
  axpyRows(y, x, st, a, cnt, len);
}

/**
 * X_q[0..len) ← X_q − y·a_q for q < cnt (rows X_q at x + q·st bytes, coefficients a_q at ap): each
 * entry fl(X − fl(y·a)), the update of `tred2`'s accumulation and of `reflect`.
 */
function subScaledRows(x: usize, st: usize, y: usize, ap: usize, cnt: i32, len: i32): void {
  let q = 0;
  for (; q + 4 <= cnt; q += 4) { // four rows per pass: y is loaded once for the four
    const r0 = x + <usize>q * st, r1 = r0 + st, r2 = r1 + st, r3 = r2 + st, qa = ap + (<usize>q << 3);
    const a0s = load<f64>(qa), a1s = load<f64>(qa, 8), a2s = load<f64>(qa, 16), a3s = load<f64>(qa, 24);
    const a0 = f64x2.splat(a0s), a1 = f64x2.splat(a1s), a2 = f64x2.splat(a2s), a3 = f64x2.splat(a3s);
    let j = 0;
    for (; j + 2 <= len; j += 2) {
      const o = <usize>j << 3, yv = v128.load(y + o);
      v128.store(r0 + o, f64x2.sub(v128.load(r0 + o), f64x2.mul(yv, a0)));
      v128.store(r1 + o, f64x2.sub(v128.load(r1 + o), f64x2.mul(yv, a1)));
      v128.store(r2 + o, f64x2.sub(v128.load(r2 + o), f64x2.mul(yv, a2)));
      v128.store(r3 + o, f64x2.sub(v128.load(r3 + o), f64x2.mul(yv, a3)));
    }
    if (j < len) {
      const o = <usize>j << 3, ys = load<f64>(y + o);
      store<f64>(r0 + o, load<f64>(r0 + o) - ys * a0s);
      store<f64>(r1 + o, load<f64>(r1 + o) - ys * a1s);
      store<f64>(r2 + o, load<f64>(r2 + o) - ys * a2s);
      store<f64>(r3 + o, load<f64>(r3 + o) - ys * a3s);
    }
  }
  for (; q < cnt; q++) {
    const row = x + <usize>q * st, as = load<f64>(ap + (<usize>q << 3)), a = f64x2.splat(as);
    let j = 0;
    for (; j + 2 <= len; j += 2) {
      const o = <usize>j << 3;
      v128.store(row + o, f64x2.sub(v128.load(row + o), f64x2.mul(v128.load(y + o), a)));
    }
    if (j < len) { const o = <usize>j << 3; store<f64>(row + o, load<f64>(row + o) - load<f64>(y + o) * as); }
  }
}

/**
 * The rank-2 update of `tred2`'s reduction: row j < cnt of the block at v (row stride st bytes) gets
 * V[j, k] ← V[j, k] − (f_j e_k + g_j d_k) for k < len, with f = d and g = e (each product rounded, then
 * the sum, then the difference, as JavaScript). Two rows per pass, so e and d are loaded once for both.
 */
function rank2Rows(v: usize, st: usize, d: usize, e: usize, cnt: i32, len: i32): void {
  let j = 0;
  for (; j + 4 <= cnt; j += 4) {
    const r0 = v + <usize>j * st, r1 = r0 + st, r2 = r1 + st, r3 = r2 + st, jo = <usize>j << 3;
    const f0 = load<f64>(d + jo), g0 = load<f64>(e + jo), f1 = load<f64>(d + jo, 8), g1 = load<f64>(e + jo, 8);
    const f2 = load<f64>(d + jo, 16), g2 = load<f64>(e + jo, 16), f3 = load<f64>(d + jo, 24), g3 = load<f64>(e + jo, 24);
    const f0v = f64x2.splat(f0), g0v = f64x2.splat(g0), f1v = f64x2.splat(f1), g1v = f64x2.splat(g1);
    const f2v = f64x2.splat(f2), g2v = f64x2.splat(g2), f3v = f64x2.splat(f3), g3v = f64x2.splat(g3);
    let k = 0;
    for (; k + 2 <= len; k += 2) {
      const o = <usize>k << 3, ev = v128.load(e + o), dv = v128.load(d + o);
      v128.store(r0 + o, f64x2.sub(v128.load(r0 + o), f64x2.add(f64x2.mul(f0v, ev), f64x2.mul(g0v, dv))));
      v128.store(r1 + o, f64x2.sub(v128.load(r1 + o), f64x2.add(f64x2.mul(f1v, ev), f64x2.mul(g1v, dv))));
      v128.store(r2 + o, f64x2.sub(v128.load(r2 + o), f64x2.add(f64x2.mul(f2v, ev), f64x2.mul(g2v, dv))));
      v128.store(r3 + o, f64x2.sub(v128.load(r3 + o), f64x2.add(f64x2.mul(f3v, ev), f64x2.mul(g3v, dv))));
    }
    for (; k < len; k++) {
      const o = <usize>k << 3, es = load<f64>(e + o), ds = load<f64>(d + o);
      store<f64>(r0 + o, load<f64>(r0 + o) - (f0 * es + g0 * ds));
      store<f64>(r1 + o, load<f64>(r1 + o) - (f1 * es + g1 * ds));
      store<f64>(r2 + o, load<f64>(r2 + o) - (f2 * es + g2 * ds));
      store<f64>(r3 + o, load<f64>(r3 + o) - (f3 * es + g3 * ds));
    }
  }
  for (; j < cnt; j++) {
    const vj = v + <usize>j * st, fj = load<f64>(d + (<usize>j << 3)), gj = load<f64>(e + (<usize>j << 3));
    const fv = f64x2.splat(fj), gv = f64x2.splat(gj);
    let k = 0;
    for (; k + 2 <= len; k += 2) {
      const o = <usize>k << 3;
      v128.store(vj + o, f64x2.sub(v128.load(vj + o), f64x2.add(f64x2.mul(fv, v128.load(e + o)), f64x2.mul(gv, v128.load(d + o)))));
    }
    for (; k < len; k++) {
      const o = <usize>k << 3;
      store<f64>(vj + o, load<f64>(vj + o) - (fj * load<f64>(e + o) + gj * load<f64>(d + o)));
    }
  }
}

/**
 * tred2(v, d, e, x, g, n, ld): JAMA's `tred2` (src/linalg.ts, the reference it must equal bit for bit)
 * on V at v (n×n, row stride ld doubles, transposed storage as there), d and e (n doubles each) and
 * scratch x, g (n doubles each). Every entry gets the same IEEE operations in the same order as there;
 * only the loops are rearranged so that the inner ones run over contiguous entries in f64x2 lanes:
 *
 * - Reduction. JavaScript keeps the working block's upper triangle and forms e = A·d from it: entry j
 *   is Σ_m A[j, m]·d_m in ascending m, its terms m < j gathered from column j. Here the block is kept
 *   whole (it starts symmetric, and the rank-2 update gives the mirror entries the same value:
 *   fl(fl(d_j e_k) + fl(e_j d_k)) is symmetric in j, k), so e = Σ_m d_m·A[m, ·] row after row, the
 *   same sums in the same order. The entries below the diagonal are overwritten with Householder
 *   vectors exactly where JavaScript writes them, before anything reads them.
 * - Accumulation. g_j = Σ_k x_k V[j, k] in ascending k, then V[j, ·] −= g_j d: V is transposed in
 *   place first, so that both run along rows (the same sums), and transposed back at the end.
 *
 * acc = 0 stops after the reduction (`tred2Reduce` in src/linalg.ts): then d_i = h_i, V's row i holds
 * the Householder vector u⁽ⁱ⁾ in its first i entries and V's diagonal the tridiagonal matrix's.
 *
 * Tried and not kept (2026-12-08): each step's rank-2 update fused with the next step's e = A·d in one
 * pass over the block (column i − 1 updated first, the same bits): paired against 2ebb342 on one core,
 * eigSym 200 1.03, Shampoo step 0.99, Gauss–Newton step 0.99 (quartiles 0.93–1.06): the reduction is not
 * limited by reading the block twice.
 */
export function tred2(v: usize, d: usize, e: usize, x: usize, g: usize, n: i32, ld: i32, acc: i32): void {
  const st = <usize>ld << 3;
  for (let j = 0; j < n; j++) store<f64>(d + (<usize>j << 3), load<f64>(v + <usize>j * st + (<usize>(n - 1) << 3)));
  for (let i = n - 1; i > 0; i--) {
    let scale = 0.0, h = 0.0;
    for (let k = 0; k < i; k++) scale = scale + Math.abs(load<f64>(d + (<usize>k << 3)));
    const vi = v + <usize>i * st;
    if (scale == 0) {
      store<f64>(e + (<usize>i << 3), load<f64>(d + (<usize>(i - 1) << 3)));
      for (let j = 0; j < i; j++) {
        const vj = v + <usize>j * st;
        store<f64>(d + (<usize>j << 3), load<f64>(vj + (<usize>(i - 1) << 3)));
        store<f64>(vj + (<usize>i << 3), 0);
        store<f64>(vi + (<usize>j << 3), 0);
      }
    } else {
      for (let k = 0; k < i; k++) {
        const dk = load<f64>(d + (<usize>k << 3)) / scale;
        store<f64>(d + (<usize>k << 3), dk);
        h += dk * dk;
      }
      let f = load<f64>(d + (<usize>(i - 1) << 3));
      let gg = Math.sqrt(h);
      if (f > 0) gg = -gg;
      store<f64>(e + (<usize>i << 3), scale * gg);
      h = h - f * gg;
      store<f64>(d + (<usize>(i - 1) << 3), f - gg);
      for (let j = 0; j < i; j++) {
        store<f64>(e + (<usize>j << 3), 0);
        store<f64>(vi + (<usize>j << 3), load<f64>(d + (<usize>j << 3)));
      }
      axpyRows(e, v, st, d, i, i);
      f = 0;
      for (let j = 0; j < i; j++) {
        const ej = load<f64>(e + (<usize>j << 3)) / h;
        store<f64>(e + (<usize>j << 3), ej);
        f += ej * load<f64>(d + (<usize>j << 3));
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) {
        const o = <usize>j << 3;
        store<f64>(e + o, load<f64>(e + o) - hh * load<f64>(d + o));
      }
      rank2Rows(v, st, d, e, i, i);
      for (let j = 0; j < i; j++) {
        const vj = v + <usize>j * st;
        store<f64>(d + (<usize>j << 3), load<f64>(vj + (<usize>(i - 1) << 3)));
        store<f64>(vj + (<usize>i << 3), 0);
      }
    }
    store<f64>(d + (<usize>i << 3), h);
  }
  if (!acc) return;
  transposeSquare(v, n, st);
  // Now U[c, r] = V[r, c]: row r of V is column r of U.
  const last = v + <usize>(n - 1) * st;
  for (let i = 0; i < n - 1; i++) {
    const ui = v + <usize>i * st, ii = ui + (<usize>i << 3);
    store<f64>(last + (<usize>i << 3), load<f64>(ii));
    store<f64>(ii, 1);
    const h = load<f64>(d + (<usize>(i + 1) << 3));
    const col = <usize>(i + 1) << 3; // column i+1 of U: V's row i+1, the Householder vector
    if (h != 0) {
      for (let k = 0; k <= i; k++) {
        const xk = load<f64>(v + <usize>k * st + col);
        store<f64>(x + (<usize>k << 3), xk);
        store<f64>(d + (<usize>k << 3), xk / h);
      }
      for (let j = 0; j <= i; j++) store<f64>(g + (<usize>j << 3), 0);
      axpyRows(g, v, st, x, i + 1, i + 1);
      subScaledRows(v, st, g, d, i + 1, i + 1);
    }
    for (let k = 0; k <= i; k++) store<f64>(v + <usize>k * st + col, 0);
  }
  for (let j = 0; j < n; j++) {
    const o = <usize>j << 3;
    store<f64>(d + o, load<f64>(last + o));
    store<f64>(last + o, 0);
  }
  store<f64>(last + (<usize>(n - 1) << 3), 1);
  store<f64>(e, 0);
  transposeSquare(v, n, st);
}

/**
 * reflectors(y, st, m, u, h, n, up, s): Y ← Y·H_i for the reflectors H_i = I − u⁽ⁱ⁾u⁽ⁱ⁾ᵀ/h_i of `tred2`'s
 * reduction, i = n−1 down to 1 (up = 0: Y·Q) or 1 up to n−1 (up ≠ 0: Y·Qᵀ), on Y stored transposed
 * (m columns: row j of the block at y, stride st bytes, holds coordinate j of the m rows of Y).
 * u⁽ⁱ⁾ (length i) at u + 8·i(i−1)/2, h_i at h + 8i; a reflector with h_i = 0 is the identity (skipped,
 * as `tred2`'s accumulation skips it). For each: s = Σ_{q<i} u_q·Y_q in ascending q from +0 (`axpyRows`),
 * s ← s / h_i, then Y_q ← Y_q − s·u_q (`subScaledRows`): `applyReflectors` in src/linalg.ts, bit for
 * bit. Scratch s: m doubles.
 */
export function reflectors(y: usize, st: usize, m: i32, u: usize, h: usize, n: i32, up: i32, s: usize): void {
  for (let t = 1; t < n; t++) {
    const i = up ? t : n - t;
    const hi = load<f64>(h + (<usize>i << 3));
    if (hi == 0) continue;
    const ui = u + (((<usize>i * <usize>(i - 1)) >> 1) << 3);
    memory.fill(s, 0, <usize>m << 3);
    axpyRows(s, y, st, ui, i, m);
    for (let r = 0; r < m; r++) { const o = s + (<usize>r << 3); store<f64>(o, load<f64>(o) / hi); }
    subScaledRows(y, st, s, ui, i, m);
  }
}

/**
 * newtonSchulz(x, g, y, r, c, steps): `steps` iterations X ← 1.5·X − 0.5·(X Xᵀ) X of `linalg.newtonSchulz`
 * (the reference it must equal bit for bit) on X (r×c row-major at x), with scratch g (r×r) and y (r×c):
 * G_ij = Σ_p X_ip X_jp in ascending p from +0 (i ≤ j, mirrored, as mm64's symmetric product), Y_ij =
 * Σ_q G_iq X_qj in ascending q from +0 (f64x2 over j), then each entry 1.5·X − 0.5·Y.
 */
export function newtonSchulz(x: usize, g: usize, y: usize, r: i32, c: i32, steps: i32): void {
  const rc = <usize>c << 3;
  for (let it = 0; it < steps; it++) {
    // the r(r+1)/2 pairs i ≤ j in row order, four at a time: four independent sums in flight, each in ascending p
    let i0 = 0, j0 = 0;
    const pairs = (r * (r + 1)) >> 1;
    for (let q = 0; q < pairs; q += 4) {
      const cnt = min<i32>(4, pairs - q);
      let ia = i0, ja = j0;
      const ib = ja + 1 < r ? ia : ia + 1, jb = ja + 1 < r ? ja + 1 : ia + 1;
      const ic = jb + 1 < r ? ib : ib + 1, jc = jb + 1 < r ? jb + 1 : ib + 1;
      const id = jc + 1 < r ? ic : ic + 1, jd = jc + 1 < r ? jc + 1 : ic + 1;
      // pairs past the last read row 0 with itself (their sums are discarded)
      const a0 = x + <usize>ia * rc, b0 = x + <usize>ja * rc;
      const a1 = cnt > 1 ? x + <usize>ib * rc : x, b1 = cnt > 1 ? x + <usize>jb * rc : x;
      const a2 = cnt > 2 ? x + <usize>ic * rc : x, b2 = cnt > 2 ? x + <usize>jc * rc : x;
      const a3 = cnt > 3 ? x + <usize>id * rc : x, b3 = cnt > 3 ? x + <usize>jd * rc : x;
      let s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
      for (let p = 0; p < c; p++) {
        const o = <usize>p << 3;
        s0 += load<f64>(a0 + o) * load<f64>(b0 + o); s1 += load<f64>(a1 + o) * load<f64>(b1 + o);
        s2 += load<f64>(a2 + o) * load<f64>(b2 + o); s3 += load<f64>(a3 + o) * load<f64>(b3 + o);
      }
      store<f64>(g + ((<usize>(ia * r + ja)) << 3), s0); store<f64>(g + ((<usize>(ja * r + ia)) << 3), s0);
      if (cnt > 1) { store<f64>(g + ((<usize>(ib * r + jb)) << 3), s1); store<f64>(g + ((<usize>(jb * r + ib)) << 3), s1); }
      if (cnt > 2) { store<f64>(g + ((<usize>(ic * r + jc)) << 3), s2); store<f64>(g + ((<usize>(jc * r + ic)) << 3), s2); }
      if (cnt > 3) { store<f64>(g + ((<usize>(id * r + jd)) << 3), s3); store<f64>(g + ((<usize>(jd * r + id)) << 3), s3); }
      // the pair after the fourth
      i0 = jd + 1 < r ? id : id + 1; j0 = jd + 1 < r ? jd + 1 : id + 1;
    }
    for (let i = 0; i < r; i++) {
      const yi = y + <usize>i * rc, gi = g + (<usize>(i * r) << 3);
      let j = 0;
      for (; j + 2 <= c; j += 2) {
        const o = <usize>j << 3;
        let acc = f64x2.splat(0);
        for (let q = 0; q < r; q++) acc = f64x2.add(acc, f64x2.mul(v128.load64_splat(gi + (<usize>q << 3)), v128.load(x + <usize>q * rc + o)));
        v128.store(yi + o, acc);
      }
      if (j < c) {
        const o = <usize>j << 3;
        let acc = 0.0;
        for (let q = 0; q < r; q++) acc += load<f64>(gi + (<usize>q << 3)) * load<f64>(x + <usize>q * rc + o);
        store<f64>(yi + o, acc);
      }
    }
    const n = r * c, a = f64x2.splat(1.5), b = f64x2.splat(0.5);
    let k = 0;
    for (; k + 2 <= n; k += 2) {
      const o = <usize>k << 3;
      v128.store(x + o, f64x2.sub(f64x2.mul(a, v128.load(x + o)), f64x2.mul(b, v128.load(y + o))));
    }
    if (k < n) { const o = <usize>k << 3; store<f64>(x + o, 1.5 * load<f64>(x + o) - 0.5 * load<f64>(y + o)); }
  }
}

/**
 * reflect(x, m, n, k, j0, v, vn, s): one Householder reflection of `qr` (src/linalg.ts, the reference it
 * must equal bit for bit) on columns j0… of rows k… of X (m×n row-major at x): s_j = Σ_{i≥k} v_{i−k}·X_ij
 * in ascending i from +0 (`axpyRows`), then s_j ← (2·s_j)/vn, or 2·s_j when vn = 0 (the accumulation of
 * Q), then X_ij ← X_ij − s_j·v_{i−k} (`subScaledRows`). Scratch s: n − j0 doubles.
 */
export function reflect(x: usize, m: i32, n: i32, k: i32, j0: i32, v: usize, vn: f64, s: usize): void {
  const w = n - j0, rs = <usize>n << 3;
  memory.fill(s, 0, <usize>w << 3);
  const x0 = x + ((<usize>k * <usize>n + <usize>j0) << 3);
  axpyRows(s, x0, rs, v, m - k, w);
  if (vn != 0) for (let j = 0; j < w; j++) { const o = s + (<usize>j << 3); store<f64>(o, (2 * load<f64>(o)) / vn); }
  else for (let j = 0; j < w; j++) { const o = s + (<usize>j << 3); store<f64>(o, load<f64>(o) * 2); }
  subScaledRows(x0, rs, s, v, m - k, w);
}

/** Transpose the n×n block at v (row stride st bytes) in place. */
function transposeSquare(v: usize, n: i32, st: usize): void {
  for (let r = 1; r < n; r++) {
    const vr = v + <usize>r * st;
    for (let c = 0; c < r; c++) {
      const a = vr + (<usize>c << 3), b = v + <usize>c * st + (<usize>r << 3);
      const t = load<f64>(a);
      store<f64>(a, load<f64>(b));
      store<f64>(b, t);
    }
  }
}

/**
 * cholcol(lt, j, ld): the left-looking update of Cholesky column j on the transposed factor Lt
 * (Lt[p·ld + i] = L[i, p], row stride ld doubles, a multiple of 8): for the 8-entry chunks from
 * i = j rounded down to 8 up to ld, Lt[j, i] ← Lt[j, i] − Σ_{p<j} Lt[p, i]·Lt[p, j] in ascending p,
 * each term subtracted as it comes (`cholesky`'s t −= L_ip L_jp). Entries i < j of the chunk are
 * scratch (never read by later columns). Then the column is finished as `choleskyJs` finishes it: with
 * the pivot s = Lt[j, j] > 0, Lt[j, j] ← √s and Lt[j, i] ← Lt[j, i] / √s for j < i < ld (IEEE square root
 * and division, as JavaScript's; the padding past n stays 0). Returns s, which the caller checks (a pivot
 * that is not > 0, NaN included, leaves the column unfinished).
 */
export function cholcol(lt: usize, j: u32, ld: u32): f64 {
  const stride = <usize>(ld * 8), row = lt + <usize>j * stride;
  for (let c: u32 = j & ~7; c < ld; c += 8) {
    const cp = row + <usize>(c * 8);
    let a0 = v128.load(cp, 0), a1 = v128.load(cp, 16), a2 = v128.load(cp, 32), a3 = v128.load(cp, 48);
    let xp = lt + <usize>(j * 8), pp = lt + <usize>(c * 8);
    for (let p = j; p > 0; p--) {
      const x = v128.load64_splat(xp);
      a0 = f64x2.sub(a0, f64x2.mul(v128.load(pp, 0), x));
      a1 = f64x2.sub(a1, f64x2.mul(v128.load(pp, 16), x));
      a2 = f64x2.sub(a2, f64x2.mul(v128.load(pp, 32), x));
      a3 = f64x2.sub(a3, f64x2.mul(v128.load(pp, 48), x));
      xp += stride; pp += stride;
    }
    v128.store(cp, a0, 0); v128.store(cp, a1, 16); v128.store(cp, a2, 32); v128.store(cp, a3, 48);
  }
  const jj = row + (<usize>j << 3), piv = load<f64>(jj);
  if (!(piv > 0)) return piv;
  const l = Math.sqrt(piv);
  store<f64>(jj, l);
  let i = j + 1;
  for (; i < ld && (i & 1) != 0; i++) { const q = row + (<usize>i << 3); store<f64>(q, load<f64>(q) / l); }
  const lv = f64x2.splat(l);
  for (; i + 2 <= ld; i += 2) { const q = row + (<usize>i << 3); v128.store(q, f64x2.div(v128.load(q), lv)); }
  for (; i < ld; i++) { const q = row + (<usize>i << 3); store<f64>(q, load<f64>(q) / l); }
  return piv;
}

// ---------------------------------------------------------------- micro-kernels and their drivers
//
// Register tiles measured on the 2-core Xeon (AVX-512 host, V8's 16 xmm registers): float64 4×4 (8
// accumulators) beat 6×4, 4×8 and 8×4 (12–16 accumulators, which spill) on every shape tried; float32
// 4×8 beat 6×8, 4×12 and 8×8. The tiles below are written out (no macros in AssemblyScript).
// Unrolling the inner loop by two (to halve V8's per-iteration stack check and counter updates) made them
// slower (2026-12-08, Zen 4; paired: Model B plain step 1.52×, batch + K-FAC step 1.63×): the compiled
// loop loads both indices' operands first and spills accumulators to the stack (seen in
// `node --print-wasm-code`), so the loops stay one index per pass. A fused 6×4 float64 tile (12 accumulators and
// no product temporaries, 2026-12-08) ran at 6.5 G multiply-adds/s in L1 against the fused 4×4's 13.1 (not disassembled; 15 live
// vectors leave V8 no register to spare, so most likely it spills too).

/**
 * f32exact(x, count): 1 when each of the count float64 values at x is a float32 value (rounding it to
 * float32 and back gives it again: finite values inside float32's range with at most 24 significant
 * bits, ±0 and ±∞), 0 when one is not (NaN included). Decides whether the gemm64f twins may run.
 */
export function f32exact(x: usize, count: i32): i32 {
  let acc = i64x2.splat(-1);
  let i = 0;
  for (; i + 8 <= count; i += 8) {
    const p = x + (<usize>i << 3);
    const v0 = v128.load(p, 0), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
    acc = v128.and(acc, v128.and(
      v128.and(f64x2.eq(v0, f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(v0))), f64x2.eq(v1, f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(v1)))),
      v128.and(f64x2.eq(v2, f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(v2))), f64x2.eq(v3, f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(v3))))));
  }
  if (!i64x2.all_true(acc)) return 0;
  for (; i < count; i++) {
    const v = load<f64>(x + (<usize>i << 3));
    if (<f64><f32>v != v) return 0;
  }
  return 1;
}

/** One 4×4 tile of C (row stride ldc bytes) += packed A panel (4 entries per inner index) · packed B panel (4 per index), kc indices ascending; init ≠ 0 starts from +0 instead of loading C. */
// @ts-ignore: decorator
@inline function tile64_4x4<F>(ap: usize, bp: usize, cp: usize, kc: i32, ldc: usize, init: i32): void {
  let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
  if (init) {
    const z = f64x2.splat(0);
    c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z;
  } else {
    c00 = v128.load(cp + 0 * ldc, 0); c01 = v128.load(cp + 0 * ldc, 16);
    c10 = v128.load(cp + 1 * ldc, 0); c11 = v128.load(cp + 1 * ldc, 16);
    c20 = v128.load(cp + 2 * ldc, 0); c21 = v128.load(cp + 2 * ldc, 16);
    c30 = v128.load(cp + 3 * ldc, 0); c31 = v128.load(cp + 3 * ldc, 16);
  }
  for (let p = kc; p > 0; p--) {
    const b0 = v128.load(bp, 0); const b1 = v128.load(bp, 16);
    const a0 = v128.load64_splat(ap, 0);
    c00 = MADD64T<F>(c00, a0, b0);
    c01 = MADD64T<F>(c01, a0, b1);
    const a1 = v128.load64_splat(ap, 8);
    c10 = MADD64T<F>(c10, a1, b0);
    c11 = MADD64T<F>(c11, a1, b1);
    const a2 = v128.load64_splat(ap, 16);
    c20 = MADD64T<F>(c20, a2, b0);
    c21 = MADD64T<F>(c21, a2, b1);
    const a3 = v128.load64_splat(ap, 24);
    c30 = MADD64T<F>(c30, a3, b0);
    c31 = MADD64T<F>(c31, a3, b1);
    ap += 32; bp += 32;
  }
  v128.store(cp + 0 * ldc, c00, 0); v128.store(cp + 0 * ldc, c01, 16);
  v128.store(cp + 1 * ldc, c10, 0); v128.store(cp + 1 * ldc, c11, 16);
  v128.store(cp + 2 * ldc, c20, 0); v128.store(cp + 2 * ldc, c21, 16);
  v128.store(cp + 3 * ldc, c30, 0); v128.store(cp + 3 * ldc, c31, 16);
}

/**
 * gemm64_4x4(a, b, c, it0, it1, nt, kc, ldc, sym, init): the 4×4 tiles (it0 ≤ it < it1, jt < nt) of C
 * (float64, row stride ldc bytes, tile (it, jt) at c + it·4·ldc + jt·32) += A panel it · B panel jt over
 * kc inner indices (panels from packA/packB with mr = 4, nr = 4, panel it at a + it·kc·32);
 * with sym ≠ 0 only the tiles holding an entry on or above the diagonal; with init ≠ 0 the tiles start
 * from +0 instead of C. Columns outer, rows inner: B's panel stays in L1 while A's panels pass.
 */
export function gemm64_4x4(a: usize, b: usize, c: usize, it0: i32, it1: i32, nt: i32, kc: i32, ldc: usize, sym: i32, init: i32): void {
  gemm64Tiles<f64>(a, b, c, it0, it1, nt, kc, ldc, sym, init);
}

/** gemm64_4x4 with `relaxed_madd` in the relaxed module (MADD64T): the same bits where every operand entry is a float32 value. */
export function gemm64f_4x4(a: usize, b: usize, c: usize, it0: i32, it1: i32, nt: i32, kc: i32, ldc: usize, sym: i32, init: i32): void {
  gemm64Tiles<i64>(a, b, c, it0, it1, nt, kc, ldc, sym, init);
}

// @ts-ignore: decorator
@inline function gemm64Tiles<F>(a: usize, b: usize, c: usize, it0: i32, it1: i32, nt: i32, kc: i32, ldc: usize, sym: i32, init: i32): void {
  const pa: usize = <usize>kc * 32, pb: usize = <usize>kc * 32;
  for (let jt = 0; jt < nt; jt++) {
    let iEnd = it1;
    if (sym) { const e = (jt * 4 + 3) / 4 + 1; if (e < iEnd) iEnd = e; }
    const bp = b + <usize>jt * pb, cj = c + <usize>(jt * 32);
    for (let it = it0; it < iEnd; it++) tile64_4x4<F>(a + <usize>it * pa, bp, cj + <usize>(it * 4) * ldc, kc, ldc, init);
  }
}

// @ts-ignore: decorator
@inline function tile64s_4x4<F>(a0: usize, ars: usize, aps: usize, bp: usize, bps: usize, cp: usize, kc: i32, ldc: usize, init: i32): void {
  let a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars;
  let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
  if (init) {
    const z = f64x2.splat(0);
    c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z;
  } else {
    c00 = v128.load(cp + 0 * ldc, 0); c01 = v128.load(cp + 0 * ldc, 16);
    c10 = v128.load(cp + 1 * ldc, 0); c11 = v128.load(cp + 1 * ldc, 16);
    c20 = v128.load(cp + 2 * ldc, 0); c21 = v128.load(cp + 2 * ldc, 16);
    c30 = v128.load(cp + 3 * ldc, 0); c31 = v128.load(cp + 3 * ldc, 16);
  }
  for (let p = kc; p > 0; p--) {
    const b0 = v128.load(bp, 0); const b1 = v128.load(bp, 16);
    const x0 = v128.load64_splat(a0);
    c00 = MADD64T<F>(c00, x0, b0);
    c01 = MADD64T<F>(c01, x0, b1);
    const x1 = v128.load64_splat(a1);
    c10 = MADD64T<F>(c10, x1, b0);
    c11 = MADD64T<F>(c11, x1, b1);
    const x2 = v128.load64_splat(a2);
    c20 = MADD64T<F>(c20, x2, b0);
    c21 = MADD64T<F>(c21, x2, b1);
    const x3 = v128.load64_splat(a3);
    c30 = MADD64T<F>(c30, x3, b0);
    c31 = MADD64T<F>(c31, x3, b1);
    a0 += aps; a1 += aps; a2 += aps; a3 += aps; bp += bps;
  }
  v128.store(cp + 0 * ldc, c00, 0); v128.store(cp + 0 * ldc, c01, 16);
  v128.store(cp + 1 * ldc, c10, 0); v128.store(cp + 1 * ldc, c11, 16);
  v128.store(cp + 2 * ldc, c20, 0); v128.store(cp + 2 * ldc, c21, 16);
  v128.store(cp + 3 * ldc, c30, 0); v128.store(cp + 3 * ldc, c31, 16);
}

/**
 * gemm64s(a, ars, aps, ats, b, bps, bts, c, it0, it1, nt, kc, ldc, sym, init): gemm64_4x4 on operands
 * read in place (packed or not): op(A)[4·it + r, q] at a + it·ats + r·ars + q·aps, op(B)[q, 4·jt + c]
 * (the 4 adjacent) at b + jt·bts + q·bps + 8c. Operands that each tile reads only a few times need no
 * packing.
 */
export function gemm64s(a: usize, ars: usize, aps: usize, ats: usize, b: usize, bps: usize, bts: usize, c: usize, it0: i32, it1: i32, nt: i32, kc: i32, ldc: usize, sym: i32, init: i32): void {
  gemm64sTiles<f64>(a, ars, aps, ats, b, bps, bts, c, it0, it1, nt, kc, ldc, sym, init);
}

/** gemm64s with `relaxed_madd` in the relaxed module (MADD64T): the same bits where every operand entry is a float32 value. */
export function gemm64sf(a: usize, ars: usize, aps: usize, ats: usize, b: usize, bps: usize, bts: usize, c: usize, it0: i32, it1: i32, nt: i32, kc: i32, ldc: usize, sym: i32, init: i32): void {
  gemm64sTiles<i64>(a, ars, aps, ats, b, bps, bts, c, it0, it1, nt, kc, ldc, sym, init);
}

// @ts-ignore: decorator
@inline function gemm64sTiles<F>(a: usize, ars: usize, aps: usize, ats: usize, b: usize, bps: usize, bts: usize, c: usize, it0: i32, it1: i32, nt: i32, kc: i32, ldc: usize, sym: i32, init: i32): void {
  for (let jt = 0; jt < nt; jt++) {
    let iEnd = it1;
    if (sym) { const e = jt + 1; if (e < iEnd) iEnd = e; }
    const bp = b + <usize>jt * bts, cj = c + <usize>(jt * 32);
    for (let it = it0; it < iEnd; it++) tile64s_4x4<F>(a + <usize>it * ats, ars, aps, bp, bps, cj + <usize>(it * 4) * ldc, kc, ldc, init);
  }
}

/** One 4×8 tile of C (row stride ldc bytes) += packed A panel (4 entries per inner index) · packed B panel (8 per index), kc indices ascending; init ≠ 0 starts from +0 instead of loading C. */
// @ts-ignore: decorator
@inline function tile32_4x8(ap: usize, bp: usize, cp: usize, kc: i32, ldc: usize, init: i32): void {
  let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
  if (init) {
    const z = f32x4.splat(0);
    c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z;
  } else {
    c00 = v128.load(cp + 0 * ldc, 0); c01 = v128.load(cp + 0 * ldc, 16);
    c10 = v128.load(cp + 1 * ldc, 0); c11 = v128.load(cp + 1 * ldc, 16);
    c20 = v128.load(cp + 2 * ldc, 0); c21 = v128.load(cp + 2 * ldc, 16);
    c30 = v128.load(cp + 3 * ldc, 0); c31 = v128.load(cp + 3 * ldc, 16);
  }
  for (let p = kc; p > 0; p--) {
    const b0 = v128.load(bp, 0); const b1 = v128.load(bp, 16);
    const a0 = v128.load32_splat(ap, 0);
    c00 = MADD32(c00, a0, b0);
    c01 = MADD32(c01, a0, b1);
    const a1 = v128.load32_splat(ap, 4);
    c10 = MADD32(c10, a1, b0);
    c11 = MADD32(c11, a1, b1);
    const a2 = v128.load32_splat(ap, 8);
    c20 = MADD32(c20, a2, b0);
    c21 = MADD32(c21, a2, b1);
    const a3 = v128.load32_splat(ap, 12);
    c30 = MADD32(c30, a3, b0);
    c31 = MADD32(c31, a3, b1);
    ap += 16; bp += 32;
  }
  v128.store(cp + 0 * ldc, c00, 0); v128.store(cp + 0 * ldc, c01, 16);
  v128.store(cp + 1 * ldc, c10, 0); v128.store(cp + 1 * ldc, c11, 16);
  v128.store(cp + 2 * ldc, c20, 0); v128.store(cp + 2 * ldc, c21, 16);
  v128.store(cp + 3 * ldc, c30, 0); v128.store(cp + 3 * ldc, c31, 16);
}

/**
 * gemm32_4x8(a, b, c, it0, it1, nt, kc, ldc, sym, init): the 4×8 tiles (it0 ≤ it < it1, jt < nt) of C
 * (float32, row stride ldc bytes, tile (it, jt) at c + it·4·ldc + jt·32) += A panel it · B panel jt over
 * kc inner indices (panels from packA/packB with mr = 4, nr = 8, narrowed, panel it at a + it·kc·16);
 * with sym ≠ 0 only the tiles holding an entry on or above the diagonal; with init ≠ 0 the tiles start
 * from +0 instead of C. Columns outer, rows inner: B's panel stays in L1 while A's panels pass.
 */
export function gemm32_4x8(a: usize, b: usize, c: usize, it0: i32, it1: i32, nt: i32, kc: i32, ldc: usize, sym: i32, init: i32): void {
  const pa: usize = <usize>kc * 16, pb: usize = <usize>kc * 32;
  for (let jt = 0; jt < nt; jt++) {
    let iEnd = it1;
    if (sym) { const e = (jt * 8 + 7) / 4 + 1; if (e < iEnd) iEnd = e; }
    const bp = b + <usize>jt * pb, cj = c + <usize>(jt * 32);
    for (let it = it0; it < iEnd; it++) tile32_4x8(a + <usize>it * pa, bp, cj + <usize>(it * 4) * ldc, kc, ldc, init);
  }
}

// ---------------------------------------------------------------- normals

/**
 * e^t for −700 ≤ t ≤ 0 by fdlibm's `__ieee754_exp` (argument reduction t = k·ln 2 + r, |r| ≤ ln 2 / 2, and
 * its rational approximation; error below 1 ulp), with constants only. AssemblyScript's own Math.exp
 * reads tables from the module's static data, and this module has none: JavaScript owns its memory.
 */
// @ts-ignore: decorator
@inline function expNeg(t: f64): f64 {
  const hx = <u32>(reinterpret<u64>(t) >> 32) & 0x7fffffff;
  let k: i32 = 0, hi: f64 = 0, lo: f64 = 0, x = t;
  if (hx > 0x3fd62e42) { // |t| > ln 2 / 2
    if (hx < 0x3ff0a2b2) { hi = t + 6.93147180369123816490e-01; lo = -1.90821492927058770002e-10; k = -1; }
    else {
      k = <i32>(1.44269504088896338700e+00 * t - 0.5);
      const kf = <f64>k;
      hi = t - kf * 6.93147180369123816490e-01; lo = kf * 1.90821492927058770002e-10;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) return 1 + t; // |t| < 2⁻²⁸
  const q = x * x;
  const c = x - q * (1.66666666666666019037e-01 + q * (-2.77777777770155933842e-03 + q * (6.61375632143793436117e-05 + q * (-1.65339022054652515390e-06 + q * 4.13813679705723846039e-08))));
  if (k == 0) return 1 - ((x * c) / (c - 2) - x);
  const y = 1 - ((lo - (x * c) / (2 - c)) - hi);
  return y * reinterpret<f64>(<u64>(0x3ff + k) << 52);
}

/** `expNeg` exported, for its test against Math.exp. */
export function expneg(t: f64): f64 { return expNeg(t); }

/**
 * zigFill(st, kn, wn, fn, out, i0, n, guard): `Rng.fillNormal` (src/rng.ts) for out[i0 .. n) (float64 at out),
 * with the same integer and IEEE operations as the JavaScript loop: xoshiro128** on the state words at
 * st (4 × i32), the 32-bit draw hz, its layer iz = hz & 127, hz·WN[iz] when |hz| < KN[iz] (KN: 128 u32
 * at kn, WN and FN: 128 f64 at wn and fn). Off that fast path, in a layer iz > 0, the wedge test
 * FN[iz] + u·(FN[iz−1] − FN[iz]) < e^(−x²/2) with x = hz·WN[iz] and u a 53-bit uniform from the next two
 * draws: decided here where the two sides differ by more than `guard` relative (JavaScript passes
 * 1e-12: Math.exp and `expNeg` are each within 1 ulp, 2.2e-16 relative, of e^x, so Math.exp could not
 * decide it otherwise), accepted x or a new draw for the same entry when rejected, as `normal()`
 * loops. Where it cannot decide (the base layer iz = 0, which needs Math.log; a wedge test within the
 * guard) it stops before the uniforms: the state (after hz's draw) goes back to st, hz to st + 16, and
 * it returns the entry's index, for JavaScript's `normalTail`; else it returns n.
 */
export function zigFill(st: usize, kn: usize, wn: usize, fn: usize, out: usize, i0: i32, n: i32, guard: f64): i32 {
  let a = load<i32>(st, 0), b = load<i32>(st, 4), c = load<i32>(st, 8), d = load<i32>(st, 12);
  let i = i0, p = out + (<usize>i0 << 3);
  while (i < n) {
    const hz = rotl<i32>(b * 5, 7) * 9;
    let t = b << 9;
    c ^= a; d ^= b; b ^= c; a ^= d;
    c ^= t;
    d = rotl<i32>(d, 11);
    const iz = <usize>(hz & 127);
    const m = hz >> 31, ahz = <u32>((hz ^ m) - m); // |hz| as unsigned: 2³¹ for hz = −2³¹, as Math.abs gives
    const x = <f64>hz * load<f64>(wn + (iz << 3));
    if (ahz < load<u32>(kn + (iz << 2))) { store<f64>(p, x); p += 8; i++; continue; }
    if (iz == 0) { store<i32>(st, hz, 16); break; }
    // the wedge: u from two more draws, ((u1 >>> 5)·2²⁶ + (u2 >>> 6)) / 2⁵³, as Rng.uniform
    const a0 = a, b0 = b, c0 = c, d0 = d;
    const u1 = <u32>(rotl<i32>(b * 5, 7) * 9);
    t = b << 9; c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = rotl<i32>(d, 11);
    const u2 = <u32>(rotl<i32>(b * 5, 7) * 9);
    t = b << 9; c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = rotl<i32>(d, 11);
    const u = (<f64>(u1 >>> 5) * 67108864 + <f64>(u2 >>> 6)) / 9007199254740992;
    const f1 = load<f64>(fn + (iz << 3)), lhs = f1 + u * (load<f64>(fn + ((iz - 1) << 3)) - f1);
    const e = expNeg(-0.5 * x * x);
    if (lhs < e * (1 - guard)) { store<f64>(p, x); p += 8; i++; continue; }
    if (lhs > e * (1 + guard)) continue; // rejected: a new draw for the same entry
    a = a0; b = b0; c = c0; d = d0; // undecided here: JavaScript redraws u and decides
    store<i32>(st, hz, 16);
    break;
  }
  store<i32>(st, a, 0); store<i32>(st, b, 4); store<i32>(st, c, 8); store<i32>(st, d, 12);
  return i;
}
