/**
 * `@hwnas/proto`: the gRPC API of hwnas (`hwnas.v1.SearchService`, `hwnas.v1.BenchmarkService`)
 * as ts-proto code for `@grpc/grpc-js`, generated from `proto/hwnas/v1/*.proto` into `src/gen/`.
 *
 * Only apps and adapters may import it: proto types never enter domain or runtime libs; the
 * conversion lives in each app's `src/grpc/mappers.ts` (and in the adapters). Message values
 * are plain objects; each message name is also a codec (`Search.encode`, `Search.fromPartial`, `Search.toJSON`, ...).
 * 64-bit integers (`*_at_ms`, `eta_ms`, indices) are plain numbers (decoding a value above
 * 2^53 throws).
 */

export {
  BENCHMARK_SERVICE_NAME,
  HWNAS_PROTO_PACKAGE,
  loadHwnasPackageDefinition,
  PROTO_DIR,
  PROTO_FILES,
  SEARCH_SERVICE_NAME,
} from './proto-files';

// hwnas/v1/common.proto
export { Architecture, Failure } from './gen/hwnas/v1/common';

// hwnas/v1/search.proto
export {
  AccuracySource,
  CancelSearchRequest,
  CancelSearchResponse,
  Constraint,
  CostModelSettings,
  CostModelStatus,
  DeleteSearchRequest,
  DeleteSearchResponse,
  Direction,
  FinishReason,
  GetResultsRequest,
  GetResultsResponse,
  GetSearchRequest,
  GetSearchResponse,
  Incumbent,
  ListSearchesRequest,
  ListSearchesResponse,
  MnasReward,
  Objective,
  Search,
  SearchCounts,
  SearchMode,
  TrainingSettings,
  TrialReport,
  SearchServiceClient,
  SearchServiceService,
  SearchState,
  StopReason,
  SubmitSearchRequest,
  SubmitSearchResponse,
  Trial,
  TrialNeed,
  TrialStatus,
  WatchSearchRequest,
  WatchSearchResponse,
} from './gen/hwnas/v1/search';
export type { SearchServiceServer } from './gen/hwnas/v1/search';

// hwnas/v1/benchmark.proto
export {
  BenchmarkServiceClient,
  BenchmarkServiceService,
  DatasetInfo,
  Decision,
  DeviceInfo,
  DeviceKind,
  DeviceMetric,
  DeviceSupport,
  ListDevicesRequest,
  ListDevicesResponse,
  ListSpacesRequest,
  ListSpacesResponse,
  MetricInfo,
  MetricKind,
  QueryRequest,
  QueryResponse,
  SpaceInfo,
} from './gen/hwnas/v1/benchmark';
export type { BenchmarkServiceServer } from './gen/hwnas/v1/benchmark';
