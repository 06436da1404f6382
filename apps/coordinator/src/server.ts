import type { Benchmark } from '@hwnas/bench-core';
import type { Coordinator } from '@hwnas/runtime';
import { BENCHMARK_SERVICE_NAME, BenchmarkServiceService, loadHwnasPackageDefinition, SEARCH_SERVICE_NAME, SearchServiceService } from '@hwnas/proto';
import type { BenchmarkServiceServer, SearchServiceServer } from '@hwnas/proto';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { loadSync } from '@grpc/proto-loader';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import type { Logger } from 'pino';
import { bearerTokenGuard } from './grpc/auth';
import { createBenchmarkHandlers } from './grpc/benchmark-service';
import type { LiveDevice } from './grpc/benchmark-mappers';
import type { RequestLimits } from './grpc/mappers';
import { createSearchHandlers } from './grpc/search-service';
import { withStatus } from './grpc/status';

/** Options of {@link startGrpcServer}. */
export interface GrpcServerOptions {
  readonly coordinator: Coordinator;
  readonly bench: Benchmark;
  readonly devices: { list(): LiveDevice[] };
  readonly listen: string;
  /** Bearer token every hwnas RPC must carry; undefined: no authentication. */
  readonly token?: string;
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  readonly limits: RequestLimits;
  /** Largest request or response message, bytes. */
  readonly maxMessageBytes: number;
  readonly log: Logger;
}

/** A started gRPC server. */
export interface GrpcServer {
  readonly server: Server;
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  readonly health: HealthImplementation;
  /** Sets every service NOT_SERVING, then shuts down gracefully (forcefully after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Serves SearchService and BenchmarkService (each handler wrapped by the one status middleware
 * with the bearer-token guard), plus grpc.health.v1 (SERVING for "" and both services) and
 * server reflection. Health and reflection need no token, so that probes can reach them.
 */
export async function startGrpcServer(opts: GrpcServerOptions): Promise<GrpcServer> {
  const server = new Server({ 'grpc.max_receive_message_length': opts.maxMessageBytes, 'grpc.max_send_message_length': opts.maxMessageBytes });
  const guard = bearerTokenGuard(opts.token, opts.log);
  server.addService(SearchServiceService, withStatus<SearchServiceServer>(SearchServiceService, { ...createSearchHandlers({ coordinator: opts.coordinator, limits: opts.limits }) }, guard, opts.log));
  server.addService(BenchmarkServiceService, withStatus<BenchmarkServiceServer>(BenchmarkServiceService, { ...createBenchmarkHandlers(opts.bench, opts.devices) }, guard, opts.log));
  const health = new HealthImplementation({ '': 'SERVING', [SEARCH_SERVICE_NAME]: 'SERVING', [BENCHMARK_SERVICE_NAME]: 'SERVING' });
  health.addToServer(server);
  // Reflection lists every service this server has, grpc.health.v1.Health included.
  new ReflectionService({ ...loadHwnasPackageDefinition(), ...loadSync(healthProtoPath, { keepCase: true }) }).addToServer(server);
  const creds = opts.tls ? ServerCredentials.createSsl(null, [{ cert_chain: opts.tls.cert, private_key: opts.tls.key }], false) : ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => server.bindAsync(opts.listen, creds, (err, p) => (err ? reject(err) : resolve(p))));
  return {
    server,
    port,
    health,
    async stop(graceMs = 5000) {
      for (const s of ['', SEARCH_SERVICE_NAME, BENCHMARK_SERVICE_NAME]) health.setStatus(s, 'NOT_SERVING');
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      });
    },
  };
}
