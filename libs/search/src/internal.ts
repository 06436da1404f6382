/** Internals for sibling libs and tests: the bookkeeping and sampling helpers strategies share. */
export { TrialBook } from './trial-book';
export type { TrialRecord, TrialBookState } from './trial-book';
export { sampleUnseen, mutateOne, mutateUnseen } from './sampling';
export { stateData, toJson } from './strategy';
export { CategoricalGp, selectHyper } from './gaussian-process';
export type { GpHyper, GpPrediction } from './gaussian-process';
export { archEncoder } from './arch-features';
export type { ArchEncoding } from './arch-features';
