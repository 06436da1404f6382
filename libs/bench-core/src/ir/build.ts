import { UnknownSearchSpaceError } from '../errors';
import type { Arch, SearchSpace } from '../space/space';
import { checkArch, datasetSpec } from '../space/space';
import { fbnetNetworkIR } from './fbnet';
import { nb201NetworkIR } from './nb201';
import type { NetworkIR } from './types';

const KNOWN_SPACES = ['nb201', 'fbnet'];

/**
 * Expands `arch` of `space` into its full layer graph for `dataset` (batch size 1): the single
 * description FLOPs/params counting, the cost simulators and the ONNX exporter read.
 *
 * - `nb201`: NAS-Bench-201's `TinyNetwork` (C=16, N=5); blocks `stem`, `stage{0..2}.cell{0..4}`,
 *   `reduction{0,1}`, `head`. Datasets `cifar10`, `cifar100`, `ImageNet16-120`.
 * - `fbnet`: the FBNet macro of HW-NAS-Bench; blocks `stem`, `layer{0..21}`, `head`. Datasets
 *   `cifar100`, `ImageNet`.
 *
 * Pure and deterministic: the same input gives an equal graph. A fresh graph is returned on every
 * call; treat it as frozen (it is not frozen, to keep building all 15625 NB201 cells cheap).
 *
 * Throws {@link InvalidArchitectureError} for a malformed `arch` (wrong length, an index out of
 * range, not an integer), {@link UnknownDatasetError} for a dataset the space does not define, and
 * {@link UnknownSearchSpaceError} for a space id other than `nb201` and `fbnet`.
 */
export function buildNetworkIR(space: SearchSpace, arch: Arch, dataset: string): NetworkIR {
  const id: string = space.id;
  if (id !== 'nb201' && id !== 'fbnet') throw new UnknownSearchSpaceError(id, KNOWN_SPACES);
  const a = checkArch(space, arch);
  const ds = datasetSpec(space, dataset);
  return id === 'nb201' ? nb201NetworkIR(a, ds) : fbnetNetworkIR(a, ds.name);
}
