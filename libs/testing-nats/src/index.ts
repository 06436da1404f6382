/** Test helpers: a real nats-server per test. Import from spec files only. */
export { startNatsServer, natsServerBinary, freePort } from './nats-server';
export type { NatsServer, NatsServerOptions } from './nats-server';
