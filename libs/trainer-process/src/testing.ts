/**
 * Test helpers shipped as `@hwnas/trainer-process/testing`; import them from spec files only:
 * listing processes from /proc, to check that no trainer outlives its evaluation or its worker,
 * and running the reference PyTorch trainer at a tiny size on a synthetic set.
 */
export { listProcesses, processGroupMembers } from './testing/process-list';
export type { ListedProcess } from './testing/process-list';
export { REFERENCE_TRAINER, TRAINER_PYTHON, tinyReferenceTrainerCommand, writeSyntheticSet } from './testing/reference-trainer';
/** The small node trainer of this lib's tests (`node FAKE_TRAINER <mode>`; modes in the file's header). */
export const FAKE_TRAINER = require.resolve('./testing/fake-trainer.js');
