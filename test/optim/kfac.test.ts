import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/rng.js';
import { Mat, axpy, eye, gram, matmulNT, matmulTN, scale, sub } from '../../src/mat.js';
import { cholSolve, mm64, solveRightSPD } from '../../src/linalg.js';
import { linearNet } from '../../src/models/linear.js';
import { kfac } from '../../src/optim/kfac.js';
import { batch, initParams, maxDiff, problem } from '../fixtures.js';

// All tests here run on the default js64 engine: every product is float64 (unit round-off 1.1e-16).
// Tolerances are (condition number of the solve) × (size) × 1e-16 with a margin, stated per test.

const Pperp = (Gs: Mat) => axpy(-1, mm64(Gs, Gs, true), eye(Gs.cols)); // I − G*ᵀG*

test('A1: with η_F = 1 and no damping, the head step is the least-squares head for G₊ on any batch', () => {
  for (const kappa of [1, 10, 1000]) {
    const rng = new Rng(11 + kappa);
    const pr = problem(rng, 30, 4, 6, kappa);
    const b = batch(rng, pr, 200, 0.3); // noisy: A1 holds on any batch
    const p0 = initParams(rng, pr);
    const out = kfac({ lr: 0.7, lrF: 1 }).step(p0, b, kfac({ lr: 0.7, lrF: 1 }).init(p0), linearNet);
    const Z = matmulNT(b.X, out.params.G);
    const Fls = solveRightSPD(matmulTN(b.Y, Z), matmulTN(Z, Z)); // (Yᵀ Z)(ZᵀZ)⁻¹
    // Σ̂_z has condition number ≲ κ·κ(G₊)²; 1e-8 relative leaves a 1e4× margin over κ·1e-16 at κ = 1000
    assert.ok(maxDiff(out.params.F, Fls) < 1e-8 * Math.max(1, maxAbs(Fls)), `κ=${kappa}: ${maxDiff(out.params.F, Fls)}`);
  }
});

function maxAbs(m: Mat) { let s = 0; for (const v of m.data) s = Math.max(s, Math.abs(v)); return s; }

test('A2: noiseless, n ≥ d, P_G = FᵀF: G₊(I − G*ᵀG*) = (1 − η) G(I − G*ᵀG*) for every Σ; η = 1 lands in the span', () => {
  for (const kappa of [1, 10, 100, 1000]) {
    for (const eta of [0.3, 1]) {
      const rng = new Rng(kappa * 7 + eta * 10);
      const pr = problem(rng, 24, 3, 5, kappa);
      const b = batch(rng, pr, 60);
      const p0 = initParams(rng, pr);
      const opt = kfac({ lr: eta });
      const { params } = opt.step(p0, b, opt.init(p0), linearNet);
      const lhs = mm64(params.G, Pperp(pr.Gs));
      const rhs = mm64(p0.G, Pperp(pr.Gs));
      for (let i = 0; i < rhs.data.length; i++) rhs.data[i] *= 1 - eta;
      // the solve with Σ̂ (cond ≈ κ) and FᵀF (cond ≲ 1e2 here): 1e-9 absolute on O(1) entries
      assert.ok(maxDiff(lhs, rhs) < 1e-9, `κ=${kappa} η=${eta}: ${maxDiff(lhs, rhs)}`);
      // the update also equals the closed form (1 − η)G + η (FᵀF)⁻¹FᵀF*G*
      const M = mm64(cholSolve(mm64(p0.F, p0.F, true), mm64(p0.F, pr.Fs, true)), pr.Gs);
      const expect = axpy(eta, M, scale(p0.G, 1 - eta));
      assert.ok(maxDiff(params.G, expect) < 1e-9, `closed form κ=${kappa}: ${maxDiff(params.G, expect)}`);
    }
  }
});

test('KFAC with identity factors is SGD on G, then SGD on F at G₊', () => {
  const rng = new Rng(3);
  const pr = problem(rng, 12, 3, 4, 50);
  const b = batch(rng, pr, 40, 0.1);
  const p0 = initParams(rng, pr);
  const opt = kfac({ lr: 0.05, lrF: 0.2, leftFactor: 'identity', inputFactor: 'identity' });
  const { params } = opt.step(p0, b, opt.init(p0), linearNet);
  const g = linearNet.grads(p0, b);
  const G1 = axpy(-0.05, g.G, p0.G);
  assert.ok(maxDiff(params.G, G1) < 1e-15, 'G step');
  const gF = linearNet.grads({ F: p0.F, G: G1 }, b).F;
  assert.ok(maxDiff(params.F, axpy(-0.2, gF, p0.F)) < 1e-15, 'F step');
});

test('A5: input-side-only KFAC (P_G = I) is G − η ∇_G Σ̂⁻¹: the G-error evolves by E ↦ E − η FᵀF E, free of Σ', () => {
  const rng = new Rng(5);
  const pr = problem(rng, 16, 2, 4, 1000);
  const b = batch(rng, pr, 50);
  const p0 = initParams(rng, pr);
  const opt = kfac({ lr: 0.1, leftFactor: 'identity' });
  const { params } = opt.step(p0, b, opt.init(p0), linearNet);
  const FtF = mm64(p0.F, p0.F, true);
  const Gopt = mm64(cholSolve(FtF, mm64(p0.F, pr.Fs, true)), pr.Gs);
  const E0 = sub(p0.G, Gopt), E1 = sub(params.G, Gopt);
  const pred = axpy(-0.1, mm64(FtF, E0), E0);
  assert.ok(maxDiff(E1, pred) < 1e-9, `${maxDiff(E1, pred)}`);
});

test('A6: as λ_G → ∞, KFAC with step η·λ_G is the SGD step (P_G = I)', () => {
  const rng = new Rng(6);
  const pr = problem(rng, 10, 2, 3, 100);
  const b = batch(rng, pr, 30);
  const p0 = initParams(rng, pr);
  const g = linearNet.grads(p0, b);
  const sgdG = axpy(-0.01, g.G, p0.G);
  let prev = Infinity;
  for (const lam of [1e2, 1e4, 1e6]) {
    const opt = kfac({ lr: 0.01 * lam, leftFactor: 'identity', dampingG: lam });
    const { params } = opt.step(p0, b, opt.init(p0), linearNet);
    const err = maxDiff(params.G, sgdG);
    // (Σ̂ + λI)⁻¹λ = I − Σ̂/λ + O(λ⁻²): the gap shrinks like 1/λ
    assert.ok(err < prev / 50, `λ=${lam}: ${err} vs previous ${prev}`);
    prev = err;
  }
  assert.ok(prev < 1e-6 * maxAbs(g.G) + 1e-12);
});

test('refresh interval 2 reuses the first batch’s factors on the second step; β > 0 averages the factors', () => {
  const rng = new Rng(8);
  const pr = problem(rng, 10, 2, 3, 10);
  const b1 = batch(rng, pr, 30), b2 = batch(rng, pr, 30);
  const p0 = initParams(rng, pr);
  const stale = kfac({ lr: 0.5, updateEvery: 2 });
  let s = stale.step(p0, b1, stale.init(p0), linearNet);
  const s2 = stale.step(s.params, b2, s.state, linearNet);
  // by hand: second step uses Σ̂ of b1 (and FᵀF of p0) for G
  const g = linearNet.grads(s.params, b2);
  const A1 = gram(b1.X, 1 / 30), P0 = mm64(p0.F, p0.F, true);
  const expectG = axpy(-0.5, cholSolve(P0, solveRightSPD(g.G, A1)), s.params.G);
  assert.ok(maxDiff(s2.params.G, expectG) < 1e-10, `${maxDiff(s2.params.G, expectG)}`);
  // EMA with β: second factor is β A1 + (1−β) A2
  const beta = 0.9, ema = kfac({ lr: 0.5, emaDecay: beta, leftFactor: 'identity' });
  s = ema.step(p0, b1, ema.init(p0), linearNet);
  const e2 = ema.step(s.params, b2, s.state, linearNet);
  const A = axpy(beta, gram(b1.X, 1 / 30), scale(gram(b2.X, 1 / 30), 1 - beta));
  const expectE = axpy(-0.5, solveRightSPD(linearNet.grads(s.params, b2).G, A), s.params.G);
  assert.ok(maxDiff(e2.params.G, expectE) < 1e-10);
});

test('bad options are refused with the option name and the allowed range', () => {
  assert.throws(() => kfac({ lr: -1 }), /kfac: option 'lr' must be a finite number in \[0, ∞\)/);
  assert.throws(() => kfac({ lr: NaN }), /option 'lr'/);
  assert.throws(() => kfac({ leftFactor: 'diag' as never }), /'gauss-newton', 'identity'/);
  assert.throws(() => kfac({ emaDecay: 1 }), /emaDecay.*\[0, 1\)/);
  assert.throws(() => kfac({ updateEvery: 1.5 }), /updateEvery.*integer/);
  assert.throws(() => kfac({ foo: 1 } as never), /unknown option 'foo'/);
});

test('a singular factor without damping is reported, and damping fixes it', () => {
  const rng = new Rng(9);
  const pr = problem(rng, 20, 2, 3, 10);
  const b = batch(rng, pr, 10); // n < d: Σ̂ is singular
  const p0 = initParams(rng, pr);
  assert.throws(() => kfac().step(p0, b, kfac().init(p0), linearNet), /not positive definite.*damping/);
  const opt = kfac({ dampingG: 1e-3 });
  const out = opt.step(p0, b, opt.init(p0), linearNet);
  assert.ok(out.params.G.data.every(Number.isFinite));
});
