import { SPACES } from '@hwnas/bench-core';
import type { Benchmark } from '@hwnas/bench-core';
import type { ListDevicesRequest, ListDevicesResponse, ListSpacesRequest, ListSpacesResponse, QueryRequest, QueryResponse } from '@hwnas/proto';
import type { ServerUnaryCall } from '@grpc/grpc-js';
import { fromQueryRequest, toDeviceInfo, toQueryResponse, toSpaceInfo } from './benchmark-mappers';
import type { LiveDevice } from './benchmark-mappers';

type Unary<Req, Res> = (call: ServerUnaryCall<Req, Res>) => Promise<Res>;

/** Handlers of hwnas.v1.BenchmarkService; wrap them with `withStatus`. */
export interface BenchmarkHandlers {
  query: Unary<QueryRequest, QueryResponse>;
  listSpaces: Unary<ListSpacesRequest, ListSpacesResponse>;
  listDevices: Unary<ListDevicesRequest, ListDevicesResponse>;
}

/** hwnas.v1.BenchmarkService over the benchmark tables and the live device list. */
export function createBenchmarkHandlers(bench: Benchmark, devices: { list(): LiveDevice[] }): BenchmarkHandlers {
  return {
    async query(call) {
      const q = fromQueryRequest(call.request);
      return toQueryResponse(bench.query(q.space, q.dataset, q.arch));
    },
    async listSpaces() {
      return {
        spaces: Object.values(SPACES).map((space) =>
          toSpaceInfo(space, (dataset) => {
            try {
              return bench.metrics(space, dataset);
            } catch {
              // The tables of this dataset are not installed here: list it without metrics.
              return undefined;
            }
          }),
        ),
      };
    },
    async listDevices() {
      return { devices: devices.list().map(toDeviceInfo) };
    },
  };
}
