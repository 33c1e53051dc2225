/**
 * Gauss–Hermite quadrature for the standard normal law: E f(ξ), ξ ~ N(0, 1), ≈ Σ_i w_i f(x_i),
 * exact for polynomials of degree ≤ 2m − 1.
 *
 * Nodes: Golub–Welsch — the eigenvalues of the symmetric tridiagonal Jacobi matrix of the monic
 * probabilists' Hermite polynomials (zero diagonal, off-diagonal √1, …, √(m−1)), from `linalg.eigSym` —
 * then polished by Newton steps on the orthonormal recurrence ψ_{k+1} = (x ψ_k − √k ψ_{k−1})/√(k+1),
 * ψ_0 = 1, ψ_k = He_k/√(k!). Weights: w_i = 1 / (m ψ_{m−1}(x_i)²), which keeps full relative accuracy
 * for the tiny weights of the outer nodes (the eigenvector formula would not). Nodes are made exactly
 * symmetric (x_{m−1−i} = −x_i), so odd integrands integrate to zero to round-off and, for even m,
 * E[1{ξ > 0}] = 1/2 exactly (no node at 0).
 */
import { Mat } from '../mat.js';
import { eigSym } from '../linalg.js';
import { checkInt } from '../validate.js';

export interface Quadrature { nodes: Float64Array; weights: Float64Array }

const cache = new Map<number, Quadrature>();

/** ψ_m(x) and ψ_{m−1}(x) by the orthonormal three-term recurrence. */
function psi(m: number, x: number): [number, number] {
  let p0 = 0, p1 = 1; // ψ_{-1}, ψ_0
  for (let k = 0; k < m; k++) {
    const p2 = (x * p1 - Math.sqrt(k) * p0) / Math.sqrt(k + 1);
    p0 = p1; p1 = p2;
  }
  return [p1, p0];
}

/** m-point Gauss–Hermite rule for N(0, 1) (cached; m in [1, 400]). */
export function gaussHermite(m: number): Quadrature {
  checkInt('gaussHermite', 'm', m, 1, 400);
  const hit = cache.get(m);
  if (hit) return hit;
  const J = new Mat(m, m);
  for (let k = 1; k < m; k++) { const b = Math.sqrt(k); J.set(k - 1, k, b); J.set(k, k - 1, b); }
  const x = Float64Array.from(eigSym(J).values); // ascending
  for (let i = 0; i < m; i++) {
    for (let it = 0; it < 3; it++) {
      const [pm, pm1] = psi(m, x[i]);
      const dx = pm / (Math.sqrt(m) * pm1); // ψ_m' = √m ψ_{m−1}
      x[i] -= dx;
      if (Math.abs(dx) <= 1e-16 * Math.max(1, Math.abs(x[i]))) break;
    }
  }
  for (let i = 0; i < m >> 1; i++) { const s = 0.5 * (x[m - 1 - i] - x[i]); x[i] = -s; x[m - 1 - i] = s; }
  if (m % 2 === 1) x[m >> 1] = 0;
  const w = new Float64Array(m);
  for (let i = 0; i < m; i++) { const p = psi(m - 1, x[i])[0]; w[i] = 1 / (m * p * p); }
  const q = { nodes: x, weights: w };
  cache.set(m, q);
  return q;
}

/** E f(ξ), ξ ~ N(0, 1), by the m-point Gauss–Hermite rule (default m = 200: for tanh-like integrands, analytic in a strip of half-width π/2, the error is below 1e-14). */
export function gaussianExpectation(f: (x: number) => number, m = 200): number {
  const { nodes, weights } = gaussHermite(m);
  let s = 0;
  for (let i = 0; i < nodes.length; i++) s += weights[i] * f(nodes[i]);
  return s;
}
