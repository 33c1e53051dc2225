/**
 * The optimizer family by name: `makeOptimizer('kfac', { lr: 0.5 })`. One entry point for notebooks,
 * experiments, the command line and the benchmark. Batch-norm is a model (`models/batchnorm.ts`), not
 * an optimizer: train `sgd` on `batchNormNet`.
 */
import type { Optimizer } from './types.js';
import { checkGivenOptions } from './options.js';
import { sgd } from './sgd.js';
import { adam, adamw } from './adam.js';
import { kfac } from './kfac.js';
import { shampoo } from './shampoo.js';
import { soap } from './soap.js';
import { muon } from './muon.js';
import { gaussNewton } from './gaussNewton.js';
import { amd, dfw } from './amd.js';

type Factory = (options: any) => Optimizer<any>;

/** Each name with its factory and a one-line description. */
export const OPTIMIZERS: Readonly<Record<string, { make: Factory; doc: string }>> = {
  sgd: { make: (o: any) => sgd(o), doc: 'SGD, optional (Nesterov) momentum' },
  adam: { make: (o: any) => adam(o), doc: 'Adam, entry-wise, bias-corrected' },
  adamw: { make: (o: any) => adamw(o), doc: 'AdamW, decoupled weight decay' },
  kfac: { make: (o: any) => kfac(o), doc: 'stylised KFAC, P_G = FᵀF (Gauss–Newton left factor)' },
  'kfac-input': { make: (o: any) => kfac({ leftFactor: 'identity', ...o }), doc: 'KFAC with P_G = I (input-side whitening only)' },
  shampoo: { make: (o: any) => shampoo(o), doc: 'Shampoo, L^{-1/4} g R^{-1/4}' },
  'shampoo-half': { make: (o: any) => shampoo({ exponent: 0.5, ...o }), doc: 'Shampoo with exponent −1/2 per side' },
  'shampoo-one-sided': { make: (o: any) => shampoo({ sides: 'smaller', ...o }), doc: 'one-sided Shampoo (smaller axis, −1/2)' },
  soap: { make: (o: any) => soap(o), doc: 'SOAP: Adam in the eigenbasis of Shampoo’s factors' },
  muon: { make: (o: any) => muon(o), doc: 'Muon: momentum, then Newton–Schulz polar factor' },
  'gauss-newton': { make: (o: any) => gaussNewton(o), doc: 'full Gauss–Newton on vec(F, G), damped, exact solve' },
  amd: { make: (o: any) => amd(o), doc: 'alternating minimisation–descent' },
  dfw: { make: (o: any) => dfw(o), doc: 'de-bias and feature-whiten' },
};

export const optimizerNames = (): string[] => Object.keys(OPTIMIZERS);

/** The option each variant fixes: giving it would silently turn the variant into another method. */
const FIXED: Readonly<Record<string, readonly string[]>> = {
  'kfac-input': ['leftFactor'], 'shampoo-half': ['exponent'], 'shampoo-one-sided': ['sides'],
};

/** Build an optimizer by name; unknown names and options are refused with the allowed values. */
export function makeOptimizer(name: string, options: Record<string, unknown> = {}): Optimizer<any> {
  const entry = typeof name === 'string' && Object.prototype.hasOwnProperty.call(OPTIMIZERS, name) ? OPTIMIZERS[name] : undefined;
  if (!entry) throw new RangeError(`optimizer must be one of ${optimizerNames().join(', ')}; got ${typeof name === 'string' ? `'${name}'` : String(name)}`);
  checkGivenOptions(name, options);
  for (const key of FIXED[name] ?? []) {
    if (Object.prototype.hasOwnProperty.call(options, key)) {
      throw new RangeError(`${name}: option '${key}' is fixed by this variant; use the base optimizer to choose it`);
    }
  }
  return entry.make(options);
}

export type { Optimizer, MatrixTransform, StepResult } from './types.js';
