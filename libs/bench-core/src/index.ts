/**
 * @hwnas/bench-core: search spaces, the network IR and FLOPs/params, and the benchmark tables.
 * Everything but `data/` is pure (no I/O, no clock, no Math.random).
 */
export { NasError, isNasError, InvalidArchitectureError, UnknownSearchSpaceError, UnknownDatasetError, UnknownMetricError, BenchmarkDataError, InvalidArgumentError } from './errors';
export type { NasErrorCode } from './errors';
export { Rng } from './rng';
export type { Arch, ArchKey, SpaceId, Decision, DatasetSpec, SearchSpace } from './space/space';
export { archKey, archRank, isRankable, spaceSize, checkArch, sampleArch, neighbours, neighbourCount, enumerateArchs, hammingDistance, oneHot, datasetSpec } from './space/space';
export { nb201Space, NB201_OPS, NB201_EDGES, NB201_SIZE, Nb201IndexTable, nb201Code, nb201FromCode } from './space/nb201';
export type { Nb201Op } from './space/nb201';
export { fbnetSpace, FBNET_MACRO, FBNET_SKIP, fbnetLayerSlots } from './space/fbnet';
export type { FbnetBlock, FbnetMacro, FbnetDatasetMacro, FbnetLayerSlot } from './space/fbnet';
export { SPACES, getSpace } from './space/registry';
export type { Shape, Layer, LayerType, NetworkIR, InputLayer, ConvLayer, BatchNormLayer, ReluLayer, PoolLayer, GlobalAvgPoolLayer, AddLayer, ConcatLayer, LinearLayer, ChannelShuffleLayer, ZeroLayer } from './ir/types';
export { buildNetworkIR } from './ir/build';
export { layerCost, networkCost } from './ir/cost';
export { decisionCostTable } from './cost/decision-costs';
export type { LayerCost, NetworkCost } from './ir/cost';
export type { Metrics, MetricInfo, MetricKind } from './metrics';
export { ACCURACY_METRICS, MODEL_METRICS, TRAIN_TIME_METRIC, costMetricInfo } from './metrics';
export type { Evaluator } from './evaluator';
export { TabularEvaluator } from './evaluators/tabular';
export { Benchmark, BENCHMARK_SPACES } from './data/benchmark';
export type { QueryResult, BenchmarkOptions } from './data/benchmark';
export { Nb201Tables, NB201_FILES } from './data/nb201-tables';
export { FbnetLut, FBNET_FILES, fbnetLutKeys, loadFbnetMacro } from './data/fbnet-lut';
export { resolveDataDir, findDataDir, DATA_DIR_ENV } from './data/files';
export { PACK_ENV } from './data/data-pack';
export { knownDevices, loadDeviceLatency, readDeviceLatencyFile, parseDeviceLatency, DEVICE_LATENCY_FILES } from './data/device-latency';
export type { DeviceLatencyTable, DeviceLatencyColumn } from './data/device-latency';
