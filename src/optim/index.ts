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

import type { MatrixTransform } from './types.js';
import { sgdTransform } from './sgd.js';
import { adamTransform, adamwTransform } from './adam.js';
import { shampooTransform } from './shampoo.js';
import { soapTransform } from './soap.js';
import { muonTransform } from './muon.js';

/**
 * The per-matrix transforms of the gradient-based named optimizers, step size included, for any weight
 * matrix (Model B's W among them): `makeTransform('muon', { lr: 2 })`.
 */
export const TRANSFORMS: Readonly<Record<string, (o: any) => MatrixTransform<any>>> = {
  sgd: (o) => sgdTransform(o),
  adam: (o) => adamTransform(o),
  adamw: (o) => adamwTransform(o),
  shampoo: (o) => shampooTransform(o),
  'shampoo-half': (o) => shampooTransform({ exponent: 0.5, ...o }),
  'shampoo-one-sided': (o) => shampooTransform({ sides: 'smaller', ...o }),
  soap: (o) => soapTransform(o),
  muon: (o) => muonTransform(o),
};

/** The per-matrix transform of a gradient-based named optimizer; model-aware names are refused. */
export function makeTransform(name: string, options: Record<string, unknown> = {}): MatrixTransform<any> {
  const make = Object.prototype.hasOwnProperty.call(TRANSFORMS, name) ? TRANSFORMS[name] : undefined;
  if (!make) throw new RangeError(`makeTransform: a per-matrix optimizer must be one of ${Object.keys(TRANSFORMS).join(', ')}; got '${name}' (kfac, gauss-newton, amd and dfw are model-aware steps)`);
  return make(options);
}

export {
  chain, around, withTail, stateless, scale, scaleByLearningRate, addDecayedWeights, frozen, identity, route, forEachMatrix,
  applyUpdates, layerwise, type NamedMatrices, type ParamsTransform, type ChainState,
} from './transform.js';
export { trace, scaleBySgd } from './sgd.js';
export { scaleByAdam } from './adam.js';
export { scaleByShampoo } from './shampoo.js';
export { scaleBySoap, decayStepped } from './soap.js';
export { scaleByPolar, scaleByShape } from './muon.js';
export * as factor from './factor.js';
export { saveState, restoreState } from './state.js';
