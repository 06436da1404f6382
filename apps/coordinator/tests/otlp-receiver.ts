import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One span as received over OTLP/HTTP JSON, flattened with its resource's service name. */
export interface ReceivedSpan {
  readonly service: string;
  readonly scope: string;
  readonly traceId: string;
  readonly spanId: string;
  /** Undefined for a root span. */
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Record<string, unknown>;
  readonly events: readonly { readonly name: string; readonly attributes: Record<string, unknown> }[];
  readonly links: readonly { readonly traceId: string; readonly spanId: string }[];
  readonly status?: { readonly code?: number; readonly message?: string };
}

/** A minimal OTLP/HTTP receiver for tests (no collector exists on this machine). */
export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: the value of OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  /** Names of the metrics received, by service. */
  readonly metrics: Map<string, Set<string>>;
  /** Requests that were not JSON (e.g. http/protobuf), by path; counted, not decoded. */
  readonly opaque: Map<string, number>;
  close(): Promise<void>;
}

type AnyValue = { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: AnyValue[] } };
type KeyValue = { key: string; value: AnyValue };

function value(v: AnyValue | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(value);
  return undefined;
}

function attrs(kvs: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of kvs ?? []) out[kv.key] = value(kv.value);
  return out;
}

/**
 * Starts a receiver on 127.0.0.1 (random port) that accepts POST /v1/traces and /v1/metrics:
 * `application/json` bodies (OTEL_EXPORTER_OTLP_PROTOCOL=http/json) are decoded; protobuf bodies
 * are only counted. Answers 200 with an empty JSON object, as a collector does.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const metrics = new Map<string, Set<string>>();
  const opaque = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const path = (req.url ?? '').split('?')[0];
        if (req.method !== 'POST' || (path !== '/v1/traces' && path !== '/v1/metrics' && path !== '/v1/logs')) {
          res.writeHead(404).end();
          return;
        }
        if (!String(req.headers['content-type'] ?? '').includes('json')) {
          opaque.set(path, (opaque.get(path) ?? 0) + 1);
        } else if (path === '/v1/traces') {
          const doc = JSON.parse(body.toString('utf8')) as {
            resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { scope?: { name?: string }; spans?: Record<string, unknown>[] }[] }[];
          };
          for (const rs of doc.resourceSpans ?? []) {
            const service = String(attrs(rs.resource?.attributes)['service.name'] ?? '');
            for (const ss of rs.scopeSpans ?? []) {
              for (const s of ss.spans ?? []) {
                const parent = s.parentSpanId as string | undefined;
                spans.push({
                  service,
                  scope: ss.scope?.name ?? '',
                  traceId: s.traceId as string,
                  spanId: s.spanId as string,
                  ...(parent ? { parentSpanId: parent } : {}),
                  name: s.name as string,
                  kind: s.kind as number,
                  attributes: attrs(s.attributes as KeyValue[]),
                  events: ((s.events as { name: string; attributes?: KeyValue[] }[]) ?? []).map((e) => ({ name: e.name, attributes: attrs(e.attributes) })),
                  links: ((s.links as { traceId: string; spanId: string }[]) ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
                  ...(s.status ? { status: s.status as { code?: number; message?: string } } : {}),
                });
              }
            }
          }
        } else if (path === '/v1/metrics') {
          const doc = JSON.parse(body.toString('utf8')) as { resourceMetrics?: { resource?: { attributes?: KeyValue[] }; scopeMetrics?: { metrics?: { name: string }[] }[] }[] };
          for (const rm of doc.resourceMetrics ?? []) {
            const service = String(attrs(rm.resource?.attributes)['service.name'] ?? '');
            const names = metrics.get(service) ?? new Set<string>();
            metrics.set(service, names);
            for (const sm of rm.scopeMetrics ?? []) for (const m of sm.metrics ?? []) names.add(m.name);
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch (e) {
        res.writeHead(400).end(String(e));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    metrics,
    opaque,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
