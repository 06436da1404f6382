/**
 * The device agent process: reads flags and environment, builds the backend, connects to NATS and
 * serves until SIGTERM or SIGINT, then drains (answers what it received) and exits 0.
 *
 *   node --import tsx apps/device-agent/src/main.ts --device asic-eyeriss --nats nats://127.0.0.1:4222
 *   node --import tsx apps/device-agent/src/main.ts --device host-cpu --device-id edge-arm64
 *
 * Exit codes: 0 after a graceful stop, 2 for bad flags, 1 when the backend or NATS fails.
 */
// First: the OpenTelemetry SDK must be registered before anything creates spans or meters.
import { telemetry } from './telemetry';
import { hostname } from 'node:os';
import { connectNats, createNames } from '@hwnas/transport-nats';
import { exitOnStartError, stopOnSignal, traceLogMixin } from '@hwnas/telemetry';
import pino from 'pino';
import { startDeviceAgent } from './agent';
import { backendFromConfig } from './backend-from-config';
import { readAgentConfig, USAGE } from './config';

async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const cfg = readAgentConfig(argv, process.env);
  const log = pino({ base: { app: 'device-agent', pid: process.pid }, mixin: traceLogMixin });
  const backend = backendFromConfig(cfg);
  const nc = await connectNats({
    servers: cfg.natsUrl.split(','),
    name: `device-agent-${cfg.deviceId ?? cfg.device}-${hostname()}-${process.pid}`,
    credentials: cfg.credentials,
    // A pod may start before the NATS server does.
    waitOnFirstConnect: true,
  });
  const agent = await startDeviceAgent({
    nc,
    backend,
    deviceId: cfg.deviceId,
    names: createNames(cfg.prefix),
    concurrency: cfg.concurrency,
    cacheSize: cfg.cacheSize,
    maxQueue: cfg.maxQueue,
    heartbeatMs: cfg.heartbeatMs,
    timeoutMs: cfg.timeoutMs,
    delayMs: cfg.delayMs,
    logger: log,
  });
  stopOnSignal({ stop: () => agent.stop(), nats: nc, telemetry, log });
}

main(process.argv.slice(2)).catch(exitOnStartError('device-agent'));
