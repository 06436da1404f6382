/**
 * @hwnas/dashboard: the web dashboard of hwnas (served over node:http by the coordinator and by
 * embedded searches; live over Server-Sent Events) and the SVG charts it shares with the CLI.
 */
export type { DashboardSource } from './source';
export type { ConstraintDescription, DeviceRow, DevicesView, MetricDescription, QueueRow, SearchDetail, SearchSummary, TrialRow } from './model';
export { CoordinatorDashboardSource, inProcessDeviceRows } from './coordinator-source';
export type { CoordinatorDashboardSourceOptions } from './coordinator-source';
export { startDashboardServer, parseListen, DEFAULT_TRACE_URL_TEMPLATE } from './server';
export type { DashboardServer, DashboardServerOptions } from './server';
export { scatterChartSvg, front2d } from './charts/scatter';
export type { ScatterChart, ScatterPoint, ConstraintLine } from './charts/scatter';
export { bestSoFarChartSvg, learningCurvesChartSvg } from './charts/curves';
export type { BestSoFarChart, LearningCurvesChart, CurveSeries } from './charts/curves';
export type { AxisSpec, ChartSize } from './charts/frame';
export { niceTicks, robustDomain } from './charts/scale';
export { metricUnit, higherIsBetter } from './units';
