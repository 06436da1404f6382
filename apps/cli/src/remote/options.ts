import type { OptionSpecs } from '../args';

// The remote flags, apart from the gRPC client (client.ts) so that a command can parse them
// without loading gRPC until it connects.

/** How to reach a coordinator. */
export interface RemoteOptions {
  /** `HOST:PORT` of the coordinator's gRPC server. */
  readonly coordinator: string;
  /** Bearer token sent with every call (default: `tokenFile`, else `$HWNAS_API_TOKEN`). */
  readonly token?: string;
  /** File holding the token. */
  readonly tokenFile?: string;
  /** Use TLS (default false); `caFile` adds a CA to trust (PEM). */
  readonly tls?: boolean;
  readonly caFile?: string;
  /** Deadline of each unary call, milliseconds (default 30000). */
  readonly deadlineMs?: number;
}

/** The flags every remote command takes. */
export const REMOTE_OPTIONS: OptionSpecs = {
  coordinator: { type: 'string' },
  'token-file': { type: 'string' },
  tls: { type: 'boolean', default: false },
  ca: { type: 'string' },
};

/** Usage lines of {@link REMOTE_OPTIONS}. */
export const REMOTE_USAGE = `  --coordinator HOST:PORT  the coordinator (default $HWNAS_COORDINATOR, else 127.0.0.1:50051)
  --token-file FILE        file holding the API token (default: $HWNAS_API_TOKEN)
  --tls [--ca FILE]        connect with TLS (trusting FILE's CA as well as the system's)`;

/** {@link RemoteOptions} from parsed {@link REMOTE_OPTIONS} values and the environment. */
export function remoteOptionsFrom(values: Record<string, unknown>, env: Readonly<Record<string, string | undefined>> = process.env): RemoteOptions {
  return {
    coordinator: (values.coordinator as string | undefined) ?? env.HWNAS_COORDINATOR ?? '127.0.0.1:50051',
    ...(values['token-file'] ? { tokenFile: values['token-file'] as string } : {}),
    ...(values.tls ? { tls: true } : {}),
    ...(values.ca ? { caFile: values.ca as string, tls: true } : {}),
  };
}
