/** Internals for sibling libs and tests: building blocks of the simulator backends. */
export { createSimulatorBackend, requestToIR, allSpacesSupport } from './simulator-backend';
export type { SimulatorBackendSpec, SimulatorOutput } from './simulator-backend';
export { isFoldedBn, weightWords, layerMacs } from './layer-roles';
export { kendallTau } from './kendall';
