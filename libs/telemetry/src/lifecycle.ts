import { isNasError } from '@hwnas/bench-core';
import type { Telemetry } from './start';

/** What {@link stopOnSignal} needs: the service's own stop, its NATS connection, a logger. */
export interface ServiceLifecycle {
  /** Stops the service's own work (servers, consumers, agents), in order. */
  readonly stop: () => Promise<void>;
  /** The NATS connection: drained after `stop`; its unexpected close ends the process with 1. */
  readonly nats: { drain(): Promise<void>; closed(): Promise<void | Error> };
  readonly telemetry: Telemetry;
  readonly log: { info(o: object, msg: string): void; error(o: object, msg: string): void };
}

/**
 * The shutdown every hwnas service process shares: on SIGTERM or SIGINT, stop the service, drain
 * NATS, flush telemetry last (never rejects; bounded when the collector is down), then exit 0
 * (1 when stopping failed). A NATS connection that closes for good while running exits with 1,
 * so an orchestrator restarts the process.
 */
export function stopOnSignal(svc: ServiceLifecycle): void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    svc.log.info({ signal }, 'stopping');
    svc
      .stop()
      .then(() => svc.nats.drain())
      .then(
        () => 0,
        (e: unknown) => {
          svc.log.error({ err: String(e) }, 'stop failed');
          return 1;
        },
      )
      .then((code) => svc.telemetry.shutdown().then(() => process.exit(code)));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  void svc.nats.closed().then((err) => {
    if (stopping) return;
    svc.log.error({ err: err ? String(err) : 'closed' }, 'NATS connection closed');
    process.exit(1);
  });
}

/** Ends a service's `main()` on a start-up error: one line on stderr, exit 2 for bad flags, else 1. */
export function exitOnStartError(app: string): (e: unknown) => never {
  return (e: unknown) => {
    process.stderr.write(`${app}: error: ${isNasError(e) ? e.message : ((e as Error)?.stack ?? String(e))}\n`);
    process.exit(isNasError(e) && e.code === 'invalid_argument' ? 2 : 1);
  };
}
