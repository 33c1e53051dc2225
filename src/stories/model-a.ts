/**
 * Conditions shared by the Model A stories (notebooks 10–12): the shapes a linear teacher needs and, where
 * a story runs KFAC without damping, enough samples for the input factor Σ̂ = XᵀX/n to be invertible.
 * Browser-safe.
 */
export function modelAShapeConstraints(v: { readonly d: number; readonly k: number; readonly dy: number; readonly n: number }, o: { readonly undampedKfac: boolean }): string[] {
  const out: string[] = [];
  if (o.undampedKfac && v.n < v.d) out.push(`n (${v.n}) must be ≥ d (${v.d}): with fewer samples than inputs the undamped input factor Σ̂ = XᵀX/n of KFAC is singular (raise n with d)`);
  if (v.k > v.d) out.push(`k (${v.k}) must be ≤ d (${v.d}): the representation has at most d dimensions`);
  if (v.k > v.dy) out.push(`k (${v.k}) must be ≤ dy (${v.dy}): the teacher head F* needs rank k`);
  return out;
}
