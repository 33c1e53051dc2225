"""NumPy (float64) reference for `npm run bench`: the same work as bench/bench.ts, item by item.

Protocol (JSON lines): the first stdin line holds the settings (sizes, seed); the script answers
{"ready": true, "config": {...numpy/BLAS configuration...}, "items": [...]}, then for each request line
{"item": id, "minTime": s, "minReps": r, "maxReps": R, "warmUp": bool} it times that item (state such
as optimizer parameters persists between requests for the same item) and answers {"item": id,
"samples": [ms per op, ...]}; {"cmd": "quit"} or end of input stops it.

Every optimizer step is a port of its TypeScript implementation in src/optim (same algorithm, same
factorisations: Cholesky where the library uses Cholesky, eigh where it uses an eigendecomposition,
Householder QR for re-orthonormalisation, the structured Gauss-Newton solve of gaussNewton.ts).
NumPy has no triangular solver, so a solve with a Cholesky factor L is numpy.linalg.solve with L, then
with Lᵀ (LAPACK gesv). SciPy is deliberately not imported: its wheel brings its own OpenBLAS, whose
second thread pool competes with NumPy's. bench.ts starts two of these processes, one with the BLAS
thread variables as found and one with them set to 1, both without OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE;
the environment and what OpenBLAS actually runs (kernel, threads) are recorded.

Also: {"cmd": "verify"} and {"cmd": "verifyCell"} (port checks on data sent by bench.ts) and
{"cmd": "sweep", "processes": P, "cells": [...]} (the sweep-throughput item on a process pool).
"""
import glob
import json
import math
import os
import platform
import sys
import time

import numpy as np



# ----------------------------------------------------------------------------- configuration record

def openblas_runtime():
    """Ask the OpenBLAS that numpy loaded (the same handle: dlopen of a loaded path returns it) which
    kernel (core) it dispatched to and how many threads it runs: what actually ran, whatever the
    environment asked for."""
    out = {}
    libdir = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    import ctypes
    for path in glob.glob(os.path.join(libdir, "libscipy_openblas*.so")) + glob.glob(os.path.join(libdir, "libopenblas*.so")):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for pre in ("scipy_openblas_", "openblas_"):
            for suf in ("64_", ""):
                f = getattr(lib, f"{pre}get_num_threads{suf}", None)
                if f is None:
                    continue
                out["threads"] = int(f())
                for key, fn in (("config", "get_config"), ("corename", "get_corename")):
                    g = getattr(lib, f"{pre}{fn}{suf}", None)
                    if g is not None:
                        g.restype = ctypes.c_char_p
                        out[key] = g().decode()
                out["library"] = os.path.basename(path)
                return out
    return None


def blas_config():
    cfg = {"numpy": np.__version__, "python": platform.python_version()}
    try:
        deps = np.show_config(mode="dicts")["Build Dependencies"]
        cfg["blas"] = {k: deps["blas"].get(k) for k in ("name", "version", "openblas configuration")}
        cfg["lapack"] = {k: deps["lapack"].get(k) for k in ("name", "version")}
    except Exception as e:  # older numpy
        cfg["blas"] = {"error": repr(e)}
    try:
        import threadpoolctl
        cfg["threadpoolctl"] = threadpoolctl.threadpool_info()
    except Exception:
        cfg["threadpoolctl"] = None
    rt = openblas_runtime()
    if rt is not None:
        cfg["openblasThreads"] = rt.get("threads")
        cfg["openblasCore"] = rt.get("corename")
        cfg["openblasRuntimeConfig"] = rt.get("config")
    cfg["env"] = {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    cfg["cpuCount"] = os.cpu_count()
    cfg["choleskySolve"] = "numpy.linalg.cholesky, then numpy.linalg.solve with L and L^T (numpy has no triangular solver)"
    return cfg


# ----------------------------------------------------------------------------- linear algebra as in src/linalg.ts

def gram(x, s=1.0):
    g = x.T @ x
    return 0.5 * s * (g + g.T)


def chol(a):
    return np.linalg.cholesky(a)


def chol_solve_L(L, b):
    # NumPy has no triangular solver; gesv on the triangular factors (SciPy is not imported: its own
    # OpenBLAS would start a second thread pool in the same process)
    return np.linalg.solve(L.T, np.linalg.solve(L, b))


def chol_solve(a, b):
    return chol_solve_L(chol(a), b)


def solve_right_L(b, L):  # B A^{-1} given A = L L^T
    return chol_solve_L(L, b.T).T


def solve_right_spd(b, a):
    return chol_solve(a, b.T).T


def eig_sym(a):  # ascending, as linalg.eigSym (which symmetrises first)
    return np.linalg.eigh(0.5 * (a + a.T))


def sym_pow(a, p, eps):
    w, V = eig_sym(a)
    f = np.power(np.maximum(w, 0) + eps, p)
    return (V * f) @ V.T


def qr_pos(a):  # thin Householder QR with diag(R) >= 0, as linalg.qr
    Q, R = np.linalg.qr(a)
    s = np.where(np.diag(R) < 0, -1.0, 1.0)
    return Q * s, R * s[:, None]


def orthonormal_rows(g):
    return qr_pos(g.T)[0].T


def lstsq(x, y, ridge=0.0):
    xtx = x.T @ x
    xtx[np.diag_indices_from(xtx)] += ridge
    return chol_solve(xtx, x.T @ y)


def newton_schulz(a, steps):
    norm = math.sqrt(float(np.sum(a * a)))
    if norm == 0:
        return a.copy()
    tall = a.shape[0] > a.shape[1]
    X = (a.T if tall else a) / norm
    for _ in range(steps):
        XXt = X @ X.T
        X = 1.5 * X - 0.5 * (XXt @ X)
    return X.T if tall else X


# ----------------------------------------------------------------------------- Model A

def grads(F, G, X, Y):
    n = X.shape[0]
    Z = X @ G.T
    R = Y - Z @ F.T
    fr = np.linalg.norm(R)
    gF = (R.T @ Z) * (-1.0 / n)
    gG = ((R @ F).T @ X) * (-1.0 / n)
    return fr * fr / (2 * n), gF, gG


def model_loss(F, G, X, Y):
    r = np.linalg.norm(Y - (X @ G.T) @ F.T)
    return r * r / (2 * X.shape[0])


class Layerwise:
    """layerwise.ts: one transform per matrix, simultaneous gradients."""

    def __init__(self, make):
        self.tF, self.tG = make(), make()

    def init(self, p):
        return {"t": 0, "F": self.tF.init(p[0]), "G": self.tG.init(p[1])}

    def step(self, p, X, Y, s):
        F, G = p
        loss, gF, gG = grads(F, G, X, Y)
        t = s["t"] + 1
        uF, sF = self.tF.update(gF, s["F"], F)
        uG, sG = self.tG.update(gG, s["G"], G)
        return (F - uF, G - uG), {"t": t, "F": sF, "G": sG}, loss


class Sgd:
    def __init__(self, lr=0.1, wd=0.0):
        self.lr, self.wd = lr, wd

    def init(self, w):
        return None

    def update(self, g, s, w):
        return self.lr * (g + self.wd * w), None


class Adam:
    def __init__(self, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, decoupled=False):
        self.lr, self.b1, self.b2, self.eps, self.wd, self.dec = lr, b1, b2, eps, wd, decoupled

    def init(self, w):
        return (np.zeros_like(w), np.zeros_like(w), 0)

    def update(self, g, s, w):
        m0, v0, c = s
        t = c + 1
        bc1, bc2 = 1 - self.b1 ** t, 1 - self.b2 ** t
        gi = g if self.dec else g + self.wd * w
        m = self.b1 * m0 + (1 - self.b1) * gi
        v = self.b2 * v0 + (1 - self.b2) * gi * gi
        step = (m / bc1) / (np.sqrt(v / bc2) + self.eps)
        u = self.lr * (step + self.wd * w if self.dec else step)
        return u, (m, v, t)


class Shampoo:
    def __init__(self, lr=0.1, beta2=1.0, eps=1e-6, p=0.25, sides="both", every=1):
        self.lr, self.beta2, self.eps, self.p, self.sides, self.every = lr, beta2, eps, p, sides, every

    def init(self, w):
        return {"L": None, "R": None, "PL": None, "PR": None, "count": 0}

    def acc(self, prev, outer):
        if prev is None:
            return outer if self.beta2 == 1 else (1 - self.beta2) * outer
        return prev + outer if self.beta2 == 1 else self.beta2 * prev + (1 - self.beta2) * outer

    def update(self, g, s, w):
        count = s["count"] + 1
        if self.sides == "both":
            left, right = True, True
        else:  # 'smaller'
            left, right = (True, False) if w.shape[0] <= w.shape[1] else (False, True)
        L = self.acc(s["L"], g @ g.T) if left else None
        R = self.acc(s["R"], g.T @ g) if right else None
        refresh = (count - 1) % self.every == 0
        PL = (sym_pow(L, -self.p, self.eps) if refresh or s["PL"] is None else s["PL"]) if left else None
        PR = (sym_pow(R, -self.p, self.eps) if refresh or s["PR"] is None else s["PR"]) if right else None
        d = g
        if PL is not None:
            d = PL @ d
        if PR is not None:
            d = d @ PR
        return self.lr * d, {"L": L, "R": R, "PL": PL, "PR": PR, "count": count}


def eig_basis_desc(a):
    return eig_sym(a)[1][:, ::-1]


class Soap:
    def __init__(self, lr=3e-3, b1=0.95, b2=0.95, sb=None, eps=1e-8, wd=0.01, freq=10):
        self.lr, self.b1, self.b2, self.eps, self.wd, self.freq = lr, b1, b2, eps, wd, freq
        self.sb = b2 if sb is None else sb

    def init(self, w):
        return {"started": False, "M": np.zeros_like(w), "V": np.zeros_like(w), "step": 0}

    def refresh(self, f, q):
        fq = f @ q
        est = np.sum(q * fq, axis=0)
        order = np.argsort(-est, kind="stable")
        return eig_basis_desc(f), order

    def update(self, g, s, w):
        sb = self.sb
        if not s["started"]:
            L, R = (1 - sb) * (g @ g.T), (1 - sb) * (g.T @ g)
            return np.zeros_like(g), {**s, "started": True, "L": L, "R": R, "QL": eig_basis_desc(L), "QR": eig_basis_desc(R)}
        QL, QR = s["QL"], s["QR"]
        step = s["step"] + 1
        M = s["M"] + (1 - self.b1) * (g - s["M"])
        gp = QL.T @ g @ QR
        mp = QL.T @ M @ QR
        V = self.b2 * s["V"] + (1 - self.b2) * gp * gp
        N = QL @ (mp / (np.sqrt(V) + self.eps)) @ QR.T
        alpha = self.lr * math.sqrt(1 - self.b2 ** step) / (1 - self.b1 ** step)
        w1 = w - alpha * N
        w2 = w1 - self.lr * self.wd * w1 if self.wd > 0 else w1
        u = w - w2
        L = s["L"] + (1 - sb) * (g @ g.T - s["L"])
        R = s["R"] + (1 - sb) * (g.T @ g - s["R"])
        nQL, nQR, nV = QL, QR, V
        if step % self.freq == 0:
            nQL, order = self.refresh(L, QL)
            nV = nV[order, :]
            nQR, order = self.refresh(R, QR)
            nV = nV[:, order]
        return u, {"started": True, "L": L, "R": R, "QL": nQL, "QR": nQR, "M": M, "V": nV, "step": step}


class Muon:
    def __init__(self, lr=0.02, beta=0.95, steps=30, wd=0.0):
        self.lr, self.beta, self.steps, self.wd = lr, beta, steps, wd

    def init(self, w):
        return np.zeros_like(w)

    def update(self, g, buf0, w):
        b = self.beta
        buf = b * buf0 + (1 - b) * g
        d = (1 - b) * g + b * buf
        O = newton_schulz(d, self.steps) if np.any(d != 0) else np.zeros_like(d)
        c = math.sqrt(max(1.0, g.shape[0] / g.shape[1]))
        return self.lr * (c * O + self.wd * w), buf


class Kfac:
    """kfac.ts defaults: lr = lrF = 0.5, damping 0, no moving average, Cholesky refreshed every step."""

    def __init__(self, left="gauss-newton", lr=0.5, lrF=0.5):
        self.left, self.lr, self.lrF = left, lr, lrF

    def init(self, p):
        return {"t": 0}

    def step(self, p, X, Y, s):
        F, G = p
        n = X.shape[0]
        loss, gF0, gG = grads(F, G, X, Y)
        A = gram(X, 1.0 / n)
        LA = chol(A)
        dG = solve_right_L(gG, LA)
        if self.left == "gauss-newton":
            dG = chol_solve_L(chol(F.T @ F), dG)
        G1 = G - self.lr * dG
        Z = X @ G1.T
        R = Y - Z @ F.T
        gF = (R.T @ Z) * (-1.0 / n)
        LAz = chol(gram(Z, 1.0 / n))
        F1 = F - self.lrF * solve_right_L(gF, LAz)
        return (F1, G1), {"t": s["t"] + 1}, loss


def gauss_newton_direction(F, G, sigma, gF, gG, lam):
    dy, k = F.shape
    mu, U = eig_sym(sigma)
    m, V = eig_sym(F.T @ F)
    P, Q = F @ V, G @ U
    Sz = Q @ (Q * mu).T
    S = np.kron(np.eye(dy), Sz + lam * np.eye(k))
    for i in range(k):
        Ki = (Q * (mu * mu / (m[i] * mu + lam))) @ Q.T
        S -= np.kron(np.outer(P[:, i], P[:, i]), Ki)
    denom = m[:, None] * mu[None, :] + lam
    Ghat = (V.T @ gG) @ U
    Dg = Ghat / denom
    rhs = gF - P @ ((Dg * mu) @ Q.T)
    dF = chol_solve(S, rhs.reshape(-1, 1)).reshape(dy, k)
    coupling = ((P.T @ dF) @ Q) * mu
    Dd = (Ghat - coupling) / denom
    dG = (V @ Dd) @ U.T
    return dF, dG


class GaussNewton:
    def __init__(self, lr=0.5, damping=1e-3):
        self.lr, self.damping = lr, damping

    def init(self, p):
        return {"t": 0}

    def step(self, p, X, Y, s):
        F, G = p
        loss, gF, gG = grads(F, G, X, Y)
        sigma = gram(X, 1.0 / X.shape[0])
        dF, dG = gauss_newton_direction(F, G, sigma, gF, gG, self.damping)
        return (F - self.lr * dF, G - self.lr * dG), {"t": s["t"] + 1}, loss


def ls_head(G, X, Y, ridge=0.0):
    return lstsq(X @ G.T, Y, ridge).T


class Amd:
    def __init__(self, lr=0.5, dfw=False, damping=0.0):
        self.lr, self.dfw, self.damping = lr, dfw, damping

    def init(self, p):
        return {"t": 0}

    def step(self, p, X, Y, s):
        F0, G = p
        loss = model_loss(F0, G, X, Y)
        if not self.dfw:
            F = ls_head(G, X, Y)
            _, _, gG = grads(F, G, X, Y)
            G1 = orthonormal_rows(G - self.lr * gG)
        else:
            n = X.shape[0]
            h = n // 2
            X1, Y1, X2, Y2 = X[:h].copy(), Y[:h].copy(), X[h:].copy(), Y[h:].copy()  # slice() copies
            F = ls_head(G, X1, Y1)
            _, _, gG = grads(F, G, X2, Y2)
            sigma2 = gram(X2, 1.0 / X2.shape[0])
            sigma2[np.diag_indices_from(sigma2)] += self.damping
            G1 = orthonormal_rows(G - self.lr * solve_right_spd(gG, sigma2))
        return (F, G1), {"t": s["t"] + 1}, loss


def make_optimizer(name, lr=None):
    """The named optimizer at its defaults; `lr` replaces the step size (sgd and kfac/kfac-input, whose
    lrF follows lr as in kfac.ts), as linear-iterations passes {lr} to makeOptimizer."""
    lw = lambda mk: Layerwise(mk)  # noqa: E731
    if lr is not None:
        if name == "sgd":
            return lw(lambda: Sgd(lr=lr))
        if name in ("kfac", "kfac-input"):
            return Kfac("gauss-newton" if name == "kfac" else "identity", lr=lr, lrF=lr)
        raise ValueError(f"make_optimizer: lr override not ported for '{name}'")
    table = {
        "sgd": lambda: lw(lambda: Sgd()),
        "adam": lambda: lw(lambda: Adam()),
        "adamw": lambda: lw(lambda: Adam(wd=0.01, decoupled=True)),
        "kfac": lambda: Kfac("gauss-newton"),
        "kfac-input": lambda: Kfac("identity"),
        "shampoo": lambda: lw(lambda: Shampoo()),
        "shampoo-half": lambda: lw(lambda: Shampoo(p=0.5)),
        "shampoo-one-sided": lambda: lw(lambda: Shampoo(p=0.5, sides="smaller")),
        "soap": lambda: lw(lambda: Soap()),
        "muon": lambda: lw(lambda: Muon()),
        "gauss-newton": lambda: GaussNewton(),
        "amd": lambda: Amd(),
        "dfw": lambda: Amd(dfw=True),
    }
    return table[name]()


# ----------------------------------------------------------------------------- data as in src/data

def haar(d, k, rng):
    return qr_pos(rng.standard_normal((d, k)))[0]


def rotated_geometric(d, kappa, rng):
    lam = kappa ** (-np.arange(d) / (d - 1))
    Q = haar(d, d, rng)
    root = (Q * np.sqrt(lam)) @ Q.T
    return 0.5 * (root + root.T)


def sample_linear(sqrt, Gs, Fs, noise, n, rng):
    X = rng.standard_normal((n, sqrt.shape[0])) @ sqrt
    Y = (X @ Gs.T) @ Fs.T
    if noise > 0:
        Y += noise * rng.standard_normal(Y.shape)
    return X, Y


# ----------------------------------------------------------------------------- Model B (models/singleIndex.ts)

def gradient_w(W, a, X, y):
    n, N = X.shape[0], W.shape[0]
    sN = 1 / math.sqrt(N)
    U = X @ W.T
    r = y - sN * (np.maximum(U, 0) @ a)
    loss = float(r @ r) / (2 * n)
    Gm = ((-sN / n) * r)[:, None] * a[None, :] * (U > 0)
    return Gm.T @ X, loss


def second_moment(X):
    S = X.T @ X
    return (0.5 * (S + S.T)) / X.shape[0]


def one_step(W, a, X, y, kind, eta, lam):
    grad, _ = gradient_w(W, a, X, y)
    if kind == "plain":
        u = eta * grad
    else:
        P = second_moment(X)
        P[np.diag_indices_from(P)] += lam
        u = eta * solve_right_spd(grad, P)
    return W - u


# ----------------------------------------------------------------------------- a linear-iterations cell (experiments/linear-iterations.ts)

def head_with_condition(dy, k, kappa_f, rng):  # teachers.ts headWithCondition
    s = np.ones(k) if k == 1 else kappa_f ** (-np.arange(k) / (k - 1))
    return (haar(dy, k, rng) * s) @ haar(k, k, rng).T


def row_basis(G):  # metrics.ts rowBasis (signs do not matter to the distance)
    return np.linalg.qr(G.T)[0].T


def subspace_distance(G, Gs):  # metrics.ts subspaceDistance: ||(I - Qs^T Qs) Q^T||_2, at most 1
    Q, Qs = row_basis(G), row_basis(Gs)
    res = Q.T - Qs.T @ (Qs @ Q.T)
    return min(1.0, float(np.linalg.svd(res, compute_uv=False)[0]))


def make_linear_problem(p, rng):
    """linear-common.ts makeLinearProblem: source Σ (geometric, λ_max = 1, Haar-rotated or not), G* with
    orthonormal rows, F* with condition κ_F, the target head (drawn, unused here), the student's start."""
    d, k, dy = p["d"], p["k"], p["dy"]
    lam = p["kappaSigma"] ** (-np.arange(d) / (d - 1))
    if p["rotated"]:
        sqrt = rotated_geometric(d, p["kappaSigma"], rng)
    else:
        sqrt = np.diag(np.sqrt(lam))
    Gs = haar(d, k, rng).T
    Fs = head_with_condition(dy, k, p["kappaF"], rng)
    head_with_condition(dy, k, p["kappaF"], rng)  # the target task's head, as makeTransferTask draws it
    init = (rng.standard_normal((dy, k)) / math.sqrt(k), rng.standard_normal((k, d)) / math.sqrt(d))
    return {"sqrt": sqrt, "Gs": Gs, "Fs": Fs, "init": init}


def train_iterations(opt, init, sample, steps, eval_batch, Gs, target, diverge_factor=1e6):
    """train.ts `train` with runLinear's settings for linear-iterations (evaluation every step, metric =
    subspace distance, loss on the held-out batch, stop at dist < target, the same divergence rules).
    Returns the cell's result {iters, diverged, finalDist}, the steps taken and the distance trajectory."""
    p, s = init, opt.init(init)
    scale0 = max(1.0, float(np.max(np.abs(init[0]))), float(np.max(np.abs(init[1]))))
    first = float("nan")
    dists, iters, diverged, taken = [], None, False, 0
    for t in range(1, steps + 1):
        X, Y = sample(t)
        taken = t
        try:
            p1, s1, loss = opt.step(p, X, Y, s)
        except np.linalg.LinAlgError:
            if t == 1:
                raise
            diverged = True
            break
        if t == 1:
            first = loss
            model_loss(p[0], p[1], *eval_batch)
            dists.append(subspace_distance(p[1], Gs))
            if dists[-1] < target:
                iters = 0
                break
        bad = (not math.isfinite(loss) or loss > diverge_factor * max(first, 1e-300)
               or not np.all(np.isfinite(p1[0])) or not np.all(np.isfinite(p1[1]))
               or np.max(np.abs(p1[0])) > 1e12 * scale0 or np.max(np.abs(p1[1])) > 1e12 * scale0)
        if bad:
            diverged = True
            break
        p, s = p1, s1
        model_loss(p[0], p[1], *eval_batch)
        dists.append(subspace_distance(p[1], Gs))
        if dists[-1] < target:
            iters = t
            break
    return {"iters": None if diverged else iters, "diverged": diverged, "finalDist": dists[-1] if dists else None}, taken, dists


def linear_iterations_cell(p, seed):
    """One linear-iterations cell with NumPy's own random numbers (the throughput item): the same
    problem, eval batches and training loop as the TypeScript cell; the draws differ, so a cell's
    iteration count is a draw from the same law, not the same number (the port check feeds identical
    batches instead)."""
    rng = np.random.default_rng(seed)
    pr = make_linear_problem(p, rng)
    sqrt, Gs, Fs = pr["sqrt"], pr["Gs"], pr["Fs"]
    lr = p["lr"]
    opt = make_optimizer(p["method"], lr=lr)
    ev = sample_linear(sqrt, Gs, Fs, p["noise"], 512, rng)
    sample_linear(sqrt, Gs, Fs, p["noise"], 10 * p["k"], rng)  # runLinear's transfer fit and test batches,
    sample_linear(sqrt, Gs, Fs, p["noise"], 512, rng)          # drawn there even when unused
    res, taken, _ = train_iterations(opt, pr["init"], lambda t: sample_linear(sqrt, Gs, Fs, p["noise"], p["n"], rng),
                                     p["maxSteps"], ev, Gs, p["targetDist"])
    return {**res, "steps": taken}


def _pool_cell(args):
    p, seed = args
    return linear_iterations_cell(p, seed)


def _pool_threads(_):
    time.sleep(0.2)  # long enough that every pool process takes one probe
    rt = openblas_runtime() or {}
    return {"pid": os.getpid(), "threads": rt.get("threads"), "core": rt.get("corename")}


_POOL = {}


def sweep(req):
    """Run the cells on a process pool of `processes` workers (kept between requests, as the TypeScript
    worker pool keeps its idle workers); returns the wall time and each cell's result."""
    import multiprocessing as mp
    P = int(req["processes"])
    if P not in _POOL:
        _POOL.clear()
        _POOL[P] = mp.get_context("fork").Pool(P)
    pool = _POOL[P]
    workers = pool.map(_pool_threads, range(P), chunksize=1)
    cells = [(c["params"], c["seed"]) for c in req["cells"]]
    t0 = time.perf_counter()
    results = pool.map(_pool_cell, cells, chunksize=1)
    wall = time.perf_counter() - t0
    return {"sweep": {"wallS": wall, "results": results, "workers": workers}}


def verify_cell(req):
    """Port check of the cell: the TypeScript side's problem (G*, start, held-out batch) and its sequence
    of fresh batches, so that both sides run the same numbers; replies the trajectory and the result."""
    mat = lambda m: np.array(m["data"], dtype=np.float64).reshape(m["rows"], m["cols"])  # noqa: E731
    out = {}
    for c in req["cells"]:
        batches = [(mat(b["X"]), mat(b["Y"])) for b in c["batches"]]
        opt = make_optimizer(c["method"], lr=c["lr"])
        ev = (mat(c["eval"]["X"]), mat(c["eval"]["Y"]))
        res, taken, dists = train_iterations(opt, (mat(c["F"]), mat(c["G"])), lambda t: batches[t - 1],
                                             len(batches), ev, mat(c["Gs"]), c["targetDist"])
        out[c["id"]] = {**res, "steps": taken, "dist": dists}
    return {"verifyCell": out}


# ----------------------------------------------------------------------------- timing, as bench.ts

def time_it(fn, min_time, min_reps, max_reps, warm_up):
    """Per-op times in ms: warm-up (when asked), then reps until min_time s and min_reps, or max_reps."""
    w0 = time.perf_counter()
    warm = 0
    while warm_up and (warm < 1 or (time.perf_counter() - w0 < 0.25 * min_time and warm < 20)):
        fn()
        warm += 1
    samples = []
    t0 = time.perf_counter()
    while len(samples) < min_reps or (time.perf_counter() - t0 < min_time and len(samples) < max_reps):
        s = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - s) * 1e3)
    return samples


def verify(req):
    """Run the ports on data sent by bench.ts and return the results, for a faithfulness check."""
    mat = lambda m: np.array(m["data"], dtype=np.float64).reshape(m["rows"], m["cols"])  # noqa: E731
    out = {}
    init = (mat(req["F"]), mat(req["G"]))
    batches = [(mat(b["X"]), mat(b["Y"])) for b in req["batches"]]
    for name in req["optimizers"]:
        opt = make_optimizer(name)
        p, s = init, opt.init(init)
        for X, Y in batches:
            p, s, _ = opt.step(p, X, Y, s)
        out[name] = {"F": p[0].ravel().tolist(), "G": p[1].ravel().tolist()}
    b = req["modelB"]
    W, a, X, y = mat(b["W"]), np.array(b["a"]), mat(b["X"]), np.array(b["y"])
    for kind in ("plain", "preconditioned"):
        out[f"B-{kind}"] = {"W": one_step(W, a, X, y, kind, b["eta"], b["lambda"]).ravel().tolist()}
    return {"verify": out}


def main():
    spec = json.loads(sys.stdin.readline())
    rng = np.random.default_rng(spec["seed"])
    fns = {}
    for n in spec["matmulSizes"]:
        def mk(n=n):
            A, B = rng.standard_normal((n, n)), rng.standard_normal((n, n))
            return lambda: A @ B
        fns[f"matmul-{n}"] = mk
    a = spec["modelA"]
    sqrtA = rotated_geometric(a["d"], a["kappa"], rng)
    Gs = haar(a["d"], a["k"], rng).T
    Fs = (haar(a["dy"], a["k"], rng) * np.ones(a["k"])) @ haar(a["k"], a["k"], rng).T
    init = (rng.standard_normal((a["dy"], a["k"])) / math.sqrt(a["k"]), rng.standard_normal((a["k"], a["d"])) / math.sqrt(a["d"]))
    for name in spec["optimizers"]:
        def mk(name=name):
            opt = make_optimizer(name)
            st = {"p": init, "s": opt.init(init)}

            def run():
                X, Y = sample_linear(sqrtA, Gs, Fs, a["noise"], a["n"], rng)
                p, s, _ = opt.step(st["p"], X, Y, st["s"])
                if np.all(np.isfinite(p[0])) and np.all(np.isfinite(p[1])):
                    st["p"], st["s"] = p, s
                else:
                    st["p"], st["s"] = init, opt.init(init)
            return run
        fns[f"A-{name}"] = mk
    fns["A-batch"] = lambda: (lambda: sample_linear(sqrtA, Gs, Fs, a["noise"], a["n"], rng))
    b = spec["modelB"]
    sqrtB = rotated_geometric(b["d"], b["kappa"], rng)
    beta = rng.standard_normal(b["d"])
    beta /= math.sqrt(beta @ (sqrtB @ (sqrtB @ beta)))
    W = rng.standard_normal((b["N"], b["d"])) / math.sqrt(b["d"])
    av = np.where(rng.random(b["N"]) < 0.5, -1.0, 1.0) / math.sqrt(b["N"])
    XB = rng.standard_normal((b["n"], b["d"])) @ sqrtB
    yB = np.maximum(XB @ beta, 0)
    eta = math.sqrt(b["N"])
    for kind in ("plain", "preconditioned"):
        fns[f"B-{kind}"] = lambda kind=kind: (lambda: one_step(W, av, XB, yB, kind, eta, b["lambda"]))
    sm = spec["sampling"]
    fns["normals"] = lambda: (lambda: rng.standard_normal((sm["rows"], sm["cols"])))
    c = spec["components"]
    for n in c["mm64"]:
        def mk(n=n):
            A, B = rng.standard_normal((n, n)), rng.standard_normal((n, n))
            return lambda: A @ B
        fns[f"mm64-{n}"] = mk

    def spd(n):
        X = rng.standard_normal((2 * n, n))
        return X.T @ X
    n = c["chol"]
    fns[f"cholesky-{n}"] = lambda: (lambda S=spd(n): chol(S))
    fns[f"cholsolve-{n}x{c['cholSolveCols']}"] = lambda: (lambda L=chol(spd(n)), B=rng.standard_normal((n, c["cholSolveCols"])): chol_solve_L(L, B))
    e = c["eig"]
    fns[f"eigsym-{e}"] = lambda: (lambda S=gram(rng.standard_normal((2 * e, e))): eig_sym(S))

    # Server mode: one JSON request per stdin line, one JSON reply per stdout line, so that bench.ts
    # can interleave our timing and NumPy's item by item (the machine's load then affects both alike).
    sys.stdout.write(json.dumps({"ready": True, "config": blas_config(), "items": sorted(fns)}) + "\n")
    sys.stdout.flush()
    made = {}
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        if req.get("cmd") == "quit":
            break
        if req.get("cmd") in ("verify", "verifyCell", "sweep"):
            fn = {"verify": verify, "verifyCell": verify_cell, "sweep": sweep}[req["cmd"]]
            try:
                reply = fn(req)
            except Exception as e:  # reported to bench.ts, which names the command
                reply = {"error": f"{type(e).__name__}: {e}", "item": req["cmd"]}
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()
            continue
        item = req["item"]
        if item not in fns:
            reply = {"item": item, "error": "unknown item"}
        else:
            if item not in made:
                made[item] = fns[item]()
            reply = {"item": item, "samples": time_it(made[item], req["minTime"], req["minReps"], req["maxReps"], req.get("warmUp", True))}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
