/** Test helpers shipped as `@hwnas/autoscaler/testing`; import them from spec files only. */
export { startFakeApiServer } from './testing/fake-api-server';
export type { FakeApiServer, FakeApiMode, FakeApiRequest } from './testing/fake-api-server';
