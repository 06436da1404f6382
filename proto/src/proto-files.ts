import * as path from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import type { PackageDefinition } from '@grpc/proto-loader';

/** Protobuf package of every hwnas service and message. */
export const HWNAS_PROTO_PACKAGE = 'hwnas.v1';

/** Fully-qualified name of the search service (gRPC paths `/hwnas.v1.SearchService/<Rpc>`). */
export const SEARCH_SERVICE_NAME = 'hwnas.v1.SearchService';

/** Fully-qualified name of the benchmark service (gRPC paths `/hwnas.v1.BenchmarkService/<Rpc>`). */
export const BENCHMARK_SERVICE_NAME = 'hwnas.v1.BenchmarkService';

/**
 * Absolute path of the proto include root (the `proto/` folder holding `hwnas/v1/*.proto`).
 * Resolved from this module's location, so it is valid wherever the workspace lives, as long as
 * the `.proto` files ship beside `src/`.
 */
export const PROTO_DIR: string = path.resolve(__dirname, '..');

/** Every `.proto` file of the API, relative to {@link PROTO_DIR}, sorted. */
export const PROTO_FILES: readonly string[] = Object.freeze([
  'hwnas/v1/benchmark.proto',
  'hwnas/v1/common.proto',
  'hwnas/v1/search.proto',
]);

/**
 * Loads the API's `.proto` files with `@grpc/proto-loader` into a package definition: what
 * `new ReflectionService(def)` from `@grpc/reflection` needs to serve server reflection (ts-proto
 * service definitions carry no file descriptors). Reads the files synchronously on each call;
 * call it once at server start. Use the ts-proto types (`SearchServiceService`, ...) for the
 * handlers and clients, not this definition.
 *
 * Loader options follow shared/NOTES.md pitfall 7 (`arrays: true`, `oneofs: true`) and keep
 * field names as written in the `.proto` files, in case anyone builds a dynamic client from it.
 */
export function loadHwnasPackageDefinition(): PackageDefinition {
  return loadSync([...PROTO_FILES], {
    includeDirs: [PROTO_DIR],
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: false,
    arrays: true,
    oneofs: true,
  });
}
