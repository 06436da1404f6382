import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * How the stand-in answers: `normal` serves the scale subresource, `forbidden` answers 403 like
 * RBAC does, `unavailable` answers 503, `hang` never answers, and after `stop()` (or
 * `goDown()`) nothing listens, so requests fail with ECONNREFUSED.
 */
export type FakeApiMode = 'normal' | 'forbidden' | 'unavailable' | 'hang';

/** One request the stand-in received. */
export interface FakeApiRequest {
  readonly method: string;
  readonly path: string;
  /** The query string without `?` (e.g. `fieldManager=x`), '' when none. */
  readonly query: string;
  readonly contentType?: string;
  readonly authorization?: string;
  readonly body?: unknown;
}

/** A stand-in of the Kubernetes API server on 127.0.0.1 (a random port). */
export interface FakeApiServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Replica counts by `namespace/name`; edit to simulate someone else scaling. */
  readonly deployments: Map<string, number>;
  readonly requests: FakeApiRequest[];
  mode: FakeApiMode;
  /** Closes the listener (later requests get ECONNREFUSED) and any hanging requests. */
  goDown(): Promise<void>;
  stop(): Promise<void>;
}

const SCALE_PATH = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)\/scale$/;

/**
 * Starts a stand-in API server that implements GET and PATCH (JSON patch) of
 * `/apis/apps/v1/namespaces/{ns}/deployments/{name}/scale` for the deployments in `deployments`.
 * For tests only: it checks no credentials (it records the Authorization header) and knows
 * nothing else of Kubernetes. Unknown paths and deployments answer 404 with a Status object.
 */
export async function startFakeApiServer(deployments: Record<string, number> = {}): Promise<FakeApiServer> {
  const sockets = new Set<Socket>();
  const state = {
    deployments: new Map(Object.entries(deployments)),
    requests: [] as FakeApiRequest[],
    mode: 'normal' as FakeApiMode,
  };
  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    let body: unknown = undefined;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const [path, query = ''] = (req.url ?? '').split('?', 2);
    state.requests.push({ method: req.method ?? '', path, query, contentType: req.headers['content-type'], authorization: req.headers.authorization, body });
    const m = SCALE_PATH.exec(path);
    if (state.mode === 'hang') return;
    if (state.mode === 'unavailable') return status(res, 503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
    if (state.mode === 'forbidden' && m) {
      const verb = req.method === 'GET' ? 'get' : 'patch';
      return status(
        res,
        403,
        'Forbidden',
        `deployments.apps "${m[2]}" is forbidden: User "system:serviceaccount:${m[1]}:hwnas-coordinator" cannot ${verb} resource "deployments/scale" in API group "apps" in the namespace "${m[1]}"`,
      );
    }
    const key = m ? `${m[1]}/${m[2]}` : '';
    if (!m || !state.deployments.has(key)) return status(res, 404, 'NotFound', m ? `deployments.apps "${m[2]}" not found` : 'the server could not find the requested resource');
    if (req.method === 'PATCH') {
      if (req.headers['content-type'] !== 'application/json-patch+json' || !Array.isArray(body)) {
        return status(res, 415, 'UnsupportedMediaType', `expected a JSON patch, got ${req.headers['content-type']}`);
      }
      for (const op of body as { op?: string; path?: string; value?: unknown }[]) {
        if ((op.op !== 'add' && op.op !== 'replace') || op.path !== '/spec/replicas' || !Number.isInteger(op.value)) {
          return status(res, 422, 'Invalid', `unsupported patch operation ${JSON.stringify(op)}`);
        }
        state.deployments.set(key, op.value as number);
      }
    } else if (req.method !== 'GET') {
      return status(res, 405, 'MethodNotAllowed', `${req.method} is not supported`);
    }
    const replicas = state.deployments.get(key) ?? 0;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: { name: m[2], namespace: m[1] },
        // Like the real server: spec.replicas is omitted when it is 0.
        spec: replicas === 0 ? {} : { replicas },
        status: { replicas, selector: `app.kubernetes.io/name=${m[2]}` },
      }),
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let down: Promise<void> | undefined;
  const goDown = () =>
    (down ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    }));
  return {
    url: `http://127.0.0.1:${port}`,
    get deployments() {
      return state.deployments;
    },
    get requests() {
      return state.requests;
    },
    get mode() {
      return state.mode;
    },
    set mode(m: FakeApiMode) {
      state.mode = m;
    },
    goDown,
    stop: goDown,
    [Symbol.asyncDispose]: goDown,
  };
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (data += c));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
