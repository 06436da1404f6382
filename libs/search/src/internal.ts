/** Internals for sibling libs and tests: the bookkeeping and sampling helpers strategies share. */
export { TrialBook } from './trial-book';
export type { TrialRecord, TrialBookState } from './trial-book';
export { sampleUnseen, mutateOne, mutateUnseen } from './sampling';
export { stateData, toJson } from './strategy';
