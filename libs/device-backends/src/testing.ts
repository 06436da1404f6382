/**
 * Test helpers of @hwnas/device-backends (the `@hwnas/device-backends/testing` entry point): the
 * conformance suite every device backend runs. Import from spec files only.
 */
export { describeBackendConformance } from './testing/backend-conformance';
export type { BackendConformanceOptions } from './testing/backend-conformance';
