/** Test helpers shipped as `@hwnas/bench-core/testing`; import them from spec files only. */
export { testDataDir, describeWithData, rejectionOf } from './testing/data';
