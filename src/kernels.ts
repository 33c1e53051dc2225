/** Float64 kernels in plain JavaScript, shared by the engines. */

/** Float64 product in plain JavaScript, with either operand transposed (the `js64` engine). */
export function matmulF64(
  a: Float64Array, ar: number, ac: number, ta: boolean,
  b: Float64Array, br: number, bc: number, tb: boolean,
  m: number, k: number, n: number,
): Float64Array {
  const out = new Float64Array(m * n);
  // Bring B to row-major k×n and A to row-major m×k so the inner loop is contiguous (i-p-j order).
  let bb = b;
  if (tb) { bb = new Float64Array(k * n); for (let i = 0; i < br; i++) for (let j = 0; j < bc; j++) bb[j * n + i] = b[i * bc + j]; }
  let aa = a;
  if (ta) { aa = new Float64Array(m * k); for (let i = 0; i < ar; i++) for (let j = 0; j < ac; j++) aa[j * k + i] = a[i * ac + j]; }
  for (let i = 0; i < m; i++) {
    const oi = i * n, ai = i * k;
    for (let p = 0; p < k; p++) {
      const av = aa[ai + p];
      if (av === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) out[oi + j] += av * bb[bp + j];
    }
  }
  return out;
}
