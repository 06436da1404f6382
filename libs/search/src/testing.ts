/** Test helpers shipped as `@hwnas/search/testing`; import them from spec files only. */
export { describeStrategyConformance, syntheticSource, syntheticMetrics, SYNTHETIC_METRICS } from './testing/strategy-conformance';
export type { ConformanceCase } from './testing/strategy-conformance';
export { toySpace } from './testing/toy';
