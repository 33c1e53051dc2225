/**
 * The layer-wise construction shared by the gradient-based members of the family (SGD, Adam, Shampoo,
 * SOAP, Muon): one per-matrix transform for F and one for G, simultaneous gradients. It now lives in
 * the optimizer algebra (`transform.ts`: `layerwise`, `chain`, `route`, …); this module re-exports it
 * with option validation (`options.ts`) for the modules and tests that import it from here.
 */
export { num, bool, oneOf, describeOption, validateOptions, type OptionSpec, type OptionSpecs, type OptionValue } from './options.js';
export { layerwise, lrSpecs, checkGradShape, type LayerwiseState, type LrOptions } from './transform.js';
