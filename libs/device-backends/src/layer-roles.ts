import type { Layer, NetworkIR } from '@hwnas/bench-core';

/**
 * True when `layer` is a BN that inference folds into the conv or linear layer feeding it (its
 * per-channel scale goes into the weights, its shift into a bias), so it costs nothing on its own.
 * A BN after anything else (NAS-Bench-201's head BN follows an `add`) has to run by itself.
 */
export function isFoldedBn(ir: NetworkIR, layer: Layer): boolean {
  if (layer.type !== 'bn') return false;
  const t = ir.layers[layer.inputs[0]].type;
  return t === 'conv' || t === 'linear';
}

/** Number of elements of a layer's output tensor (batch size 1). */
export function outElems(layer: Layer): number {
  const s = layer.outShape;
  return s.c * s.h * s.w;
}

/** Weight words of a conv or linear layer (biases included), 0 for every other type. */
export function weightWords(layer: Layer): number {
  if (layer.type === 'conv') {
    return layer.cout * (layer.cin / layer.groups) * layer.kernel * layer.kernel + (layer.bias ? layer.cout : 0);
  }
  if (layer.type === 'linear') return layer.inFeatures * layer.outFeatures + (layer.bias ? layer.outFeatures : 0);
  return 0;
}

/** Multiply-accumulates by the bench-core convention: conv and linear layers only. */
export function layerMacs(layer: Layer): number {
  if (layer.type === 'conv') {
    return layer.cout * (layer.cin / layer.groups) * layer.kernel * layer.kernel * layer.outShape.h * layer.outShape.w;
  }
  if (layer.type === 'linear') return layer.inFeatures * layer.outFeatures;
  return 0;
}

/**
 * Paths (`a.b`) of the entries of a nested config object that are not finite non-negative numbers;
 * empty when the config is well formed.
 */
export function invalidConfigEntries(obj: object, prefix = ''): string[] {
  const bad: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'object' && v !== null) bad.push(...invalidConfigEntries(v, `${prefix}${k}.`));
    else if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) bad.push(`${prefix}${k}`);
  }
  return bad;
}
