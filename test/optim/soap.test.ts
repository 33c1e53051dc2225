import { haarOrthogonal } from '../../src/data/covariance.js';
/**
 * SOAP. Tolerances (float64, js64 engine): comparisons with Adam repeat the same entry-wise arithmetic
 * with the bias correction folded differently (η√(1−β₂ˢ)/(1−β₁ˢ) vs m̂/√v̂), a few ulps: 1e-14 on
 * updates ≤ 0.1. Anything that goes through an eigenbasis is compared at 1e-10: eigenvectors from the
 * float64 eigensolver are accurate to ~1e-15/gap, and the gaps here are ≥ 1e-2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mat, add, matmul, matmulNT, matmulTN, scale, sub, map } from '../../src/mat.js';
import { Rng } from '../../src/rng.js';
import { linearNet } from '../../src/models/linear.js';
import { adamTransform } from '../../src/optim/adam.js';
import { soap, soapTransform, type SoapState } from '../../src/optim/soap.js';
import { feed, maxDiff, modelAProblem, run } from './_helpers.js';

const rng = new Rng(977);
const gradsOf = (r: number, c: number, n: number) => Array.from({ length: n }, () => rng.normalMat(r, c));

test('call 1 only initialises (u = 0, no decay); with the basis frozen at identity and ε = 0, calls 2… are Adam on g2, g3, …', () => {
  const gs = gradsOf(3, 4, 6), W = rng.normalMat(3, 4), lr = 0.1, beta1 = 0.9, beta2 = 0.99;
  const s = feed(soapTransform({ lr, beta1, beta2, eps: 0, weightDecay: 0.5, basis: 'identity' }), W, gs).us;
  assert.deepEqual(Array.from(s[0].data), new Array(12).fill(0));
  const soapNoWd = feed(soapTransform({ lr, beta1, beta2, eps: 0, weightDecay: 0, basis: 'identity' }), W, gs).us;
  const a = feed(adamTransform({ lr, beta1, beta2, eps: 0 }), W, gs.slice(1)).us;
  for (let t = 1; t < 6; t++) assert.ok(maxDiff(soapNoWd[t], a[t - 1]) < 1e-14, `call ${t + 1}`);
  // decoupled decay after the step: W_new = (1 − ηλ)(W − αN), so u = αN + ηλ(W − αN)
  for (let t = 1; t < 6; t++) {
    const expected = add(soapNoWd[t], scale(sub(W, soapNoWd[t]), lr * 0.5));
    assert.ok(maxDiff(s[t], expected) < 1e-14, `decay, call ${t + 1}`);
  }
});

test('ε enters before the bias correction: first real step is η g/(|g| + ε/√(1−β₂)) entry-wise (identity basis)', () => {
  const g = new Mat(1, 3, Float64Array.from([0.5, -1, 2])), W = new Mat(1, 3);
  const eps = 0.1, beta2 = 0.75, lr = 1;
  const u = feed(soapTransform({ lr, eps, beta2, weightDecay: 0, basis: 'identity' }), W, [g, g]).us[1];
  const expected = map(g, (x) => x / (Math.abs(x) + eps / Math.sqrt(1 - beta2))); // ε/√(1−β₂) = 0.2
  assert.ok(maxDiff(u, expected) < 1e-15);
  assert.ok(Math.abs(u.data[0] - 0.5 / 0.7) < 1e-15); // 0.5/(0.5 + 0.2)
});

test('first real step with ε = 0 is sign descent in the eigenbasis of g1: u = η Q_L sign(Q_Lᵀ g2 Q_R) Q_Rᵀ', () => {
  const [g1, g2] = gradsOf(3, 5, 2), lr = 0.2;
  const { us, states } = feed(soapTransform({ lr, eps: 0, weightDecay: 0 }), new Mat(3, 5), [g1, g2]);
  const { QL, QR } = states[0] as SoapState;
  // Q_L, Q_R diagonalise the factors (1−β_s) g1 g1ᵀ and (1−β_s) g1ᵀ g1, eigenvalues descending
  const DL = matmulTN(QL!, matmul(matmulNT(g1, g1), QL!));
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) if (i !== j) assert.ok(Math.abs(DL.get(i, j)) < 1e-10);
  for (let i = 1; i < 3; i++) assert.ok(DL.get(i - 1, i - 1) >= DL.get(i, i));
  assert.ok(maxDiff(matmulTN(QR!, QR!), new Mat(5, 5, Float64Array.from({ length: 25 }, (_, k) => (k % 6 === 0 ? 1 : 0)))) < 1e-12);
  const rot = matmul(matmulTN(QL!, g2), QR!);
  const expected = scale(matmulNT(matmul(QL!, map(rot, Math.sign)), QR!), lr);
  assert.ok(maxDiff(us[1], expected) < 1e-10);
});

test('equivariance: gradients A g B (A, B orthogonal) give updates A u B — SOAP undoes a rotation, Adam does not', () => {
  const gs = gradsOf(4, 4, 7), A = haarOrthogonal(4, rng), B = haarOrthogonal(4, rng), W = new Mat(4, 4);
  const rot = (x: Mat) => matmul(matmul(A, x), B);
  const opts = { lr: 0.1, eps: 0, weightDecay: 0, precondFrequency: 2 }; // refreshes at Adam steps 2, 4, 6
  const u = feed(soapTransform(opts), W, gs).us, ur = feed(soapTransform(opts), W, gs.map(rot)).us;
  for (let t = 1; t < 7; t++) assert.ok(maxDiff(ur[t], rot(u[t])) < 1e-10, `call ${t + 1}`);
  const v = feed(adamTransform({ lr: 0.1 }), W, gs).us, vr = feed(adamTransform({ lr: 0.1 }), W, gs.map(rot)).us;
  assert.ok(maxDiff(vr[3], rot(v[3])) > 1e-2);
});

test('basis refresh every f Adam steps; first moment is the EMA of raw gradients in original coordinates', () => {
  const gs = gradsOf(3, 3, 8);
  const { states } = feed(soapTransform({ precondFrequency: 3, beta1: 0.8 }), new Mat(3, 3), gs);
  const st = states as SoapState[];
  // call c (1-based) has taken c − 1 Adam steps; refresh after Adam steps 3 and 6, i.e. at calls 4 and 7
  const changed = st.slice(1).map((s, i) => s.QL !== st[i].QL);
  assert.deepEqual(changed, [false, false, true, false, false, true, false]);
  let M = new Mat(3, 3);
  for (let c = 1; c < 8; c++) M = add(scale(M, 0.8), scale(gs[c], 0.2));
  assert.ok(maxDiff(st[7].M, M) < 1e-15);
  // the refreshed basis is the eigenbasis of the factor at that time
  const D = matmulTN(st[6].QL!, matmul(st[6].L!, st[6].QL!));
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) if (i !== j) assert.ok(Math.abs(D.get(i, j)) < 1e-12);
});

test("'power-qr' (the reference's refresh) equals 'eigh' when the factor's eigenbasis is a fixed point (constant gradient)", () => {
  const g = matmul(matmul(haarOrthogonal(3, rng), new Mat(3, 3, Float64Array.from([3, 0, 0, 0, 2, 0, 0, 0, 1]))), haarOrthogonal(3, rng));
  const gs = new Array(6).fill(g);
  // In the exact eigenbasis the rotated gradient is diagonal: its off-diagonal entries are pure
  // round-off (~1e-16) and Adam divides them by √V + ε ≈ ε. With ε = 1e-8 that amplifies basis
  // round-off to ~1e-8 relative; ε = 1e-3 keeps it at ~1e-13, so 1e-10 tests the bases, not ε.
  const a = feed(soapTransform({ precondFrequency: 1, basis: 'eigh', eps: 1e-3 }), new Mat(3, 3), gs).us;
  const b = feed(soapTransform({ precondFrequency: 1, basis: 'power-qr', eps: 1e-3 }), new Mat(3, 3), gs).us;
  for (let t = 1; t < 6; t++) assert.ok(maxDiff(a[t], b[t]) < 1e-10, `call ${t + 1}`);
  // and the two refreshes do differ on changing gradients
  const hs = gradsOf(3, 3, 6);
  const c = feed(soapTransform({ precondFrequency: 1, basis: 'eigh' }), new Mat(3, 3), hs).us;
  const d = feed(soapTransform({ precondFrequency: 1, basis: 'power-qr' }), new Mat(3, 3), hs).us;
  assert.ok(maxDiff(c[5], d[5]) > 1e-6);
});

test('SOAP on Model A: deterministic, loss decreases, options recorded (shampooBeta defaults to beta2)', () => {
  const { params, batch } = modelAProblem(12);
  const opt = soap({ lr: 0.02, weightDecay: 0, precondFrequency: 3 });
  const a = run(opt, linearNet, params, batch, 12), b = run(opt, linearNet, params, batch, 12);
  assert.deepEqual(Array.from(a.traj[12].G.data), Array.from(b.traj[12].G.data));
  assert.equal(maxDiff(a.traj[1].G, params.G), 0); // the first call does not move
  assert.ok(a.losses[11] < a.losses[1]);
  assert.equal(soap().options.shampooBeta, 0.95);
  assert.equal(soap({ beta2: 0.99 }).options.shampooBeta, 0.99);
  assert.equal(soap({ shampooBeta: 0.5 }).options.shampooBeta, 0.5);
});

test('rank-deficient factor: the basis of its null space is arbitrary, and SOAP depends on that choice', () => {
  // g1 is 3×5, so R = (1−β_s) g1ᵀ g1 has a 2-dimensional null space whose basis the eigensolver picks
  // from round-off. Rotating those two columns of Q_R by 45° is an equally valid eigenbasis of R,
  // yet the next step changes by O(η): Adam's entry-wise scaling is not invariant to rotations
  // inside a degenerate eigenspace. (The reference's torch.linalg.eigh is arbitrary there too.)
  const [g1, g2] = gradsOf(3, 5, 2), W = new Mat(3, 5);
  const t = soapTransform({ lr: 0.1, weightDecay: 0 });
  const s1 = t.update(g1, t.init(W), W, 1).state;
  const R = s1.R!, QR = s1.QR!;
  const eig = matmulTN(QR, matmul(R, QR));
  assert.ok(Math.abs(eig.get(3, 3)) < 1e-12 && Math.abs(eig.get(4, 4)) < 1e-12, 'last two eigenvalues are 0');
  const Q2 = QR.clone(), c = Math.SQRT1_2;
  for (let i = 0; i < 5; i++) {
    const a = QR.get(i, 3), b = QR.get(i, 4);
    Q2.set(i, 3, c * a - c * b); Q2.set(i, 4, c * a + c * b);
  }
  assert.ok(maxDiff(matmulTN(Q2, matmul(R, Q2)), eig) < 1e-12, 'still an eigenbasis of R');
  const uA = t.update(g2, s1, W, 2).u, uB = t.update(g2, { ...s1, QR: Q2 }, W, 2).u;
  assert.ok(maxDiff(uA, uB) > 1e-2, `difference ${maxDiff(uA, uB)}`); // observed 0.08 on updates ≤ 0.18
});

test('when the eigenvalue order swaps at a refresh, the second moment follows its direction (rows permuted)', () => {
  // g_t = diag(a_t) H with H's rows orthogonal: L ∝ Σ diag(a_t²)·diag(3, 6) is diagonal, so Q_L is a
  // signed permutation and SOAP must reduce to Adam (ε = 0, identity basis, one call late). The
  // right axis (length 3) is left unrotated by maxPrecondDim = 2. a_t makes row 0 dominant first and
  // row 1 dominant later, so the descending order of L's eigenvalues swaps; without re-attaching V's
  // rows to their directions the step after the swap would be scaled by the other row's moment.
  const H = [[1, 1, 1], [1, -2, 1]];
  const as = [[3, 0.5], [3, 0.5], [0.2, 4], [0.2, 4], [0.3, 5], [0.1, 3], [0.2, 4]];
  const gs = as.map((a) => new Mat(2, 3, Float64Array.from([0, 1].flatMap((i) => H[i].map((h) => a[i] * h)))));
  const W = new Mat(2, 3), opts = { lr: 0.1, beta1: 0.5, beta2: 0.5, eps: 0, weightDecay: 0, maxPrecondDim: 2 };
  const r = feed(soapTransform({ ...opts, precondFrequency: 2 }), W, gs);
  const swapped = r.states.some((s, i) => i > 0 && Math.abs(s.QL!.get(0, 0)) < 0.5 && Math.abs(r.states[0].QL!.get(0, 0)) > 0.5);
  assert.ok(swapped, 'the basis order did swap');
  const a = feed(adamTransform({ lr: 0.1, beta1: 0.5, beta2: 0.5, eps: 0 }), W, gs.slice(1)).us;
  for (let t = 1; t < gs.length; t++) assert.ok(maxDiff(r.us[t], a[t - 1]) < 1e-12, `call ${t + 1}: ${maxDiff(r.us[t], a[t - 1])}`);
});
