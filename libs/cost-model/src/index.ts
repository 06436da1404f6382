/**
 * @hwnas/cost-model: learns a device's latency (or energy) from a few measured architectures,
 * using the costs hwnas already knows (known devices, MACs, the simulators) as references, and
 * the leave-one-device-out harness that scores it.
 */
export { FittedCostModel, DEFAULT_NOISE_VARIANCE, DEFAULT_PRIOR_VARIANCE } from './model';
export type { CostModelOptions, CostSample, CostPrediction, CostModelJson, ReferenceTerm } from './model';
export { referenceCosts, withoutReferences } from './references';
export type { ReferenceCosts } from './references';
export { metaLearnNoise, sampleRows, NOISE_VARIANCE_GRID, PRIOR_VARIANCE_GRID } from './meta';
export type { MetaLearnOptions, MetaLearnResult } from './meta';
export { spearman, mape, median, kendallTau } from './stats';
export { loadEvalSpace, loadEvalSpaceAsync, evaluateCostModels, knownDeviceReferences, newDevicesFromFile, MACS_REFERENCE, DEFAULT_SAMPLE_COUNTS, DEFAULT_SEEDS, MAPE_FLOOR_OF_MEDIAN } from './harness';
export type { EvalSpaceData, EvalOptions, EvalRun, EvalFold, EvalSummaryRow, EvalReport } from './harness';
export { renderEvalMarkdown, reportTimes } from './report';
export { backendMeasure, calibrateDevice, calibrateWith, calibrationRows, calibrationReferences, parseCalibration, calibrationScreen, spaceScreen } from './calibrate';
export type { CalibrationFile, CalibrateOptions, SpaceScreen } from './calibrate';
export { SpaceReferences } from './space-references';
export { CostScreen, DEFAULT_SCREEN_Z, screenedCostMetrics, predictedMetricName } from './cost-screen';
export type { CostScreenOptions, ScreenedCost } from './cost-screen';
export { runScreenedSearch } from './screened-search';
export type { ScreenedSearchSources, ScreenedSearchResult } from './screened-search';
export { storedCostModels, calibrationSummary } from './stored-cost-models';
export type { StoredCostModels, StoredCostModelsOptions } from './stored-cost-models';
export { LayerTable } from './layer-tables';
