/**
 * Model A theory (DIGEST, A3): the rate of gradient descent on G with the head F frozen.
 *
 * GD on G is the linear iteration E ↦ E − η (FᵀF) E Σ on E = G − (FᵀF)^{-1}FᵀF*G* (population Σ; Σ̂
 * for a fixed batch). Its eigenvalues are 1 − η λ_i(FᵀF) μ_j(Σ), so the contraction per step is
 * ρ(η) = max_{i,j} |1 − η λ_i μ_j|, minimised by η* = 2/(λ_max μ_max + λ_min μ_min), giving
 * ρ* = (K − 1)/(K + 1) with K = κ(FᵀF)·κ(Σ).
 *
 * Note on the DIGEST's wording. It writes ρ* = (κ_F κ_Σ − 1)/(κ_F κ_Σ + 1) and calls κ_F "κ(F)". The
 * eigenvalues entering the iteration are those of FᵀF, the squares of F's singular values, so with
 * κ(F) = σ_max(F)/σ_min(F) (the convention of the teachers' κ_F) the product is K = κ(F)²·κ(Σ). The
 * formula as written holds when κ_F is read as κ(FᵀF). `a3Contraction` takes κ(FᵀF);
 * `a3ContractionForHead` takes κ(F) and squares it.
 */
import { checkReal } from '../validate.js';

/** (K − 1)/(K + 1), K = κ(FᵀF)·κ(Σ): the optimal-step GD contraction of A3. */
export function a3Contraction(kappaFtF: number, kappaSigma: number): number {
  checkReal('a3Contraction', 'kappaFtF', kappaFtF, { min: 1 });
  checkReal('a3Contraction', 'kappaSigma', kappaSigma, { min: 1 });
  const K = kappaFtF * kappaSigma;
  return (K - 1) / (K + 1);
}

/** A3 in terms of the head's own condition number κ(F) = σ_max/σ_min: K = κ(F)²·κ(Σ). */
export function a3ContractionForHead(kappaF: number, kappaSigma: number): number {
  checkReal('a3ContractionForHead', 'kappaF', kappaF, { min: 1 });
  return a3Contraction(kappaF * kappaF, kappaSigma);
}

function extent(fn: string, name: string, v: ArrayLike<number>): [number, number] {
  if (v.length < 1) throw new RangeError(`${fn}: ${name} must be non-empty`);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < v.length; i++) {
    if (!(v[i] > 0) || !Number.isFinite(v[i])) throw new RangeError(`${fn}: ${name}[${i}] must be a finite number > 0, got ${v[i]}`);
    lo = Math.min(lo, v[i]); hi = Math.max(hi, v[i]);
  }
  return [lo, hi];
}

/** ρ(η) = max |1 − η λ μ| over eigenvalues λ of FᵀF and μ of Σ (the extremes decide it). */
export function gdContraction(eigFtF: ArrayLike<number>, eigSigma: ArrayLike<number>, eta: number): number {
  checkReal('gdContraction', 'eta', eta, { min: 0 });
  const [l0, l1] = extent('gdContraction', 'eigFtF', eigFtF), [m0, m1] = extent('gdContraction', 'eigSigma', eigSigma);
  return Math.max(Math.abs(1 - eta * l0 * m0), Math.abs(1 - eta * l1 * m1));
}

/** η* = 2/(λ_max μ_max + λ_min μ_min) and ρ(η*) = (K − 1)/(K + 1). */
export function gdOptimalStep(eigFtF: ArrayLike<number>, eigSigma: ArrayLike<number>): { eta: number; rate: number } {
  const [l0, l1] = extent('gdOptimalStep', 'eigFtF', eigFtF), [m0, m1] = extent('gdOptimalStep', 'eigSigma', eigSigma);
  const eta = 2 / (l1 * m1 + l0 * m0), K = (l1 * m1) / (l0 * m0);
  return { eta, rate: (K - 1) / (K + 1) };
}

/**
 * Iterations t with ρ^t ≤ ε: ⌈log(1/ε)/log(1/ρ)⌉ (≈ K log(1/ε)/2 for large K). ρ in [0, 1), ε in (0, 1).
 */
export function iterationsToAccuracy(rho: number, eps: number): number {
  checkReal('iterationsToAccuracy', 'rho', rho, { min: 0, max: 1, maxOpen: true });
  checkReal('iterationsToAccuracy', 'eps', eps, { min: 0, max: 1, minOpen: true, maxOpen: true });
  if (rho === 0) return 1;
  return Math.ceil(Math.log(1 / eps) / Math.log(1 / rho));
}
