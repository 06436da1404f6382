import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { contextFromTraceparent, formatTraceparent } from '@hwnas/runtime';
import { TraceFlags } from '@opentelemetry/api';
import { NasError } from '@hwnas/bench-core';
import type { NasErrorCode } from '@hwnas/bench-core';
import { BenchmarkServiceClient, SearchServiceClient } from '@hwnas/proto';
import { credentials, Metadata, status } from '@grpc/grpc-js';
import type { ChannelCredentials, Client, ServiceError } from '@grpc/grpc-js';
import type { RemoteOptions } from './options';

/** gRPC status -> hwnas error code: the CLI's one table (exit code 2 for invalid_argument). */
const CODE_OF_STATUS: Partial<Record<status, NasErrorCode>> = {
  [status.INVALID_ARGUMENT]: 'invalid_argument',
  [status.NOT_FOUND]: 'not_found',
  [status.ALREADY_EXISTS]: 'already_exists',
  [status.FAILED_PRECONDITION]: 'failed_precondition',
  [status.RESOURCE_EXHAUSTED]: 'resource_exhausted',
  [status.UNAVAILABLE]: 'unavailable',
  [status.DEADLINE_EXCEEDED]: 'deadline_exceeded',
  [status.CANCELLED]: 'cancelled',
};

/** Turns a gRPC error into a NasError whose message says what the server said. */
export function fromServiceError(e: unknown, what: string): NasError {
  const err = e as ServiceError;
  if (typeof err?.code !== 'number') return new NasError(`${what}: ${String((e as Error)?.message ?? e)}`, 'internal');
  if (err.code === status.UNAUTHENTICATED) return new NasError(`${what}: not authenticated (${err.details}); set $HWNAS_API_TOKEN or pass --token-file`, 'failed_precondition');
  const code = CODE_OF_STATUS[err.code as status] ?? 'internal';
  return new NasError(`${what}: ${err.details || status[err.code]}`, code, code === 'unavailable' || code === 'resource_exhausted', { cause: e });
}

/** Statuses a call is retried on (reads also on DEADLINE_EXCEEDED). */
function retryable(code: number, idempotent: boolean): boolean {
  return code === status.UNAVAILABLE || code === status.RESOURCE_EXHAUSTED || code === status.ABORTED || (idempotent && code === status.DEADLINE_EXCEEDED);
}

/** A connection to a coordinator. */
export interface Remote {
  readonly search: SearchServiceClient;
  readonly bench: BenchmarkServiceClient;
  /** Call metadata (the bearer token). */
  metadata(): Metadata;
  /**
   * A unary call with the token and a deadline; retried with capped backoff on UNAVAILABLE,
   * RESOURCE_EXHAUSTED and ABORTED (plus DEADLINE_EXCEEDED when `idempotent`). Rejects with a
   * NasError.
   */
  call<Req, Res>(client: 'search' | 'bench', method: string, req: Req, opts?: { idempotent?: boolean; attempts?: number }): Promise<Res>;
  close(): void;
}

function readToken(opts: RemoteOptions, env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (opts.token) return opts.token;
  if (opts.tokenFile) {
    try {
      return readFileSync(opts.tokenFile, 'utf8').trim();
    } catch (e) {
      throw new NasError(`--token-file ${opts.tokenFile}: ${(e as Error).message}`, 'invalid_argument');
    }
  }
  return env.HWNAS_API_TOKEN?.trim() || undefined;
}

/**
 * The W3C trace context every call of this CLI run carries, so that what one run does (submit,
 * watch, cancel) is one trace, and a submitted search's spans hang under it: the caller's
 * `TRACEPARENT` when it is set and valid (a CI job or a script that traces itself, and that can
 * so put several CLI runs in one trace), else a new sampled context for this run.
 */
export function cliTraceparent(env: Readonly<Record<string, string | undefined>>): string {
  if (env.TRACEPARENT && contextFromTraceparent(env.TRACEPARENT) !== undefined) return env.TRACEPARENT;
  return formatTraceparent({ traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), traceFlags: TraceFlags.SAMPLED })!;
}

/** Opens clients to the coordinator at `opts.coordinator` (no call is made yet). */
export function connectRemote(opts: RemoteOptions, env: Readonly<Record<string, string | undefined>> = process.env): Remote {
  if (!/^[^\s]+:\d+$/.test(opts.coordinator)) throw new NasError(`--coordinator must be HOST:PORT, got "${opts.coordinator}"`, 'invalid_argument');
  const token = readToken(opts, env);
  let creds: ChannelCredentials = credentials.createInsecure();
  if (opts.tls) creds = credentials.createSsl(opts.caFile ? readFileSync(opts.caFile) : null);
  const search = new SearchServiceClient(opts.coordinator, creds);
  const bench = new BenchmarkServiceClient(opts.coordinator, creds);
  const traceparent = cliTraceparent(env);
  const metadata = () => {
    const md = new Metadata();
    if (token) md.set('authorization', `Bearer ${token}`);
    md.set('traceparent', traceparent);
    return md;
  };
  return {
    search,
    bench,
    metadata,
    async call<Req, Res>(which: 'search' | 'bench', method: string, req: Req, o: { idempotent?: boolean; attempts?: number } = {}) {
      const client = (which === 'search' ? search : bench) as Client;
      const fn = (client as unknown as Record<string, (r: Req, m: Metadata, co: object, cb: (e: ServiceError | null, r: Res) => void) => void>)[method].bind(client);
      const attempts = o.attempts ?? 4;
      for (let i = 1; ; i++) {
        try {
          return await new Promise<Res>((resolve, reject) => fn(req, metadata(), { deadline: Date.now() + (opts.deadlineMs ?? 30_000) }, (e, r) => (e ? reject(e) : resolve(r))));
        } catch (e) {
          const code = (e as ServiceError).code;
          if (i >= attempts || !retryable(code, o.idempotent ?? false)) throw fromServiceError(e, `${method} at ${opts.coordinator}`);
          await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** (i - 1))));
        }
      }
    },
    close() {
      search.close();
      bench.close();
    },
  };
}
