/**
 * `@hwnas/dashboard/charts`: the dashboard's charts as SVG text, for programs that only plot
 * (the CLI's `hwnas results --plot`). Loads no server, runtime or network code.
 */
export { scatterChartSvg, front2d } from './charts/scatter';
export type { ScatterChart, ScatterPoint, ConstraintLine } from './charts/scatter';
export { bestSoFarChartSvg, learningCurvesChartSvg } from './charts/curves';
export type { BestSoFarChart, LearningCurvesChart, CurveSeries } from './charts/curves';
export type { AxisSpec, ChartSize } from './charts/frame';
export { metricUnit, higherIsBetter } from './units';
