/**
 * Times every NAS-Bench-201 architecture on cifar10 through each simulator, IR building included,
 * and prints one JSON object: seconds, archs/s and the latency/energy ranges per simulator, and
 * the seconds of the same run through the `DeviceBackend.measure` API (request validation and one
 * promise per architecture included: what `hwnas measure --all` and an agent pay).
 *
 *   npx tsx libs/device-backends/scripts/bench-simulators.ts
 */
import type { NetworkIR } from '@hwnas/bench-core';
import { NB201_SIZE, buildNetworkIR, nb201FromCode, nb201Space } from '@hwnas/bench-core';
import type { DeviceBackend } from '../src/index';
import { createEyerissBackend, createFpgaBackend, simulateEyeriss, simulateFpga } from '../src/index';

interface Range {
  min: number;
  max: number;
}

function run(simulate: (ir: NetworkIR) => { latencyMs: number; energyMj: number }) {
  const latency: Range = { min: Infinity, max: -Infinity };
  const energy: Range = { min: Infinity, max: -Infinity };
  const t0 = performance.now();
  for (let code = 0; code < NB201_SIZE; code++) {
    const r = simulate(buildNetworkIR(nb201Space, nb201FromCode(code), 'cifar10'));
    latency.min = Math.min(latency.min, r.latencyMs);
    latency.max = Math.max(latency.max, r.latencyMs);
    energy.min = Math.min(energy.min, r.energyMj);
    energy.max = Math.max(energy.max, r.energyMj);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { seconds: +seconds.toFixed(3), archsPerSec: Math.round(NB201_SIZE / seconds), latencyMs: latency, energyMj: energy };
}

async function viaBackend(backend: DeviceBackend): Promise<number> {
  const t0 = performance.now();
  for (let code = 0; code < NB201_SIZE; code++) await backend.measure({ space: 'nb201', dataset: 'cifar10', arch: nb201FromCode(code) });
  await backend.close();
  return +((performance.now() - t0) / 1000).toFixed(3);
}

async function main(): Promise<void> {
  const report = {
    archs: NB201_SIZE,
    dataset: 'cifar10',
    'asic-eyeriss': { ...run((ir) => simulateEyeriss(ir)), secondsViaBackend: await viaBackend(createEyerissBackend()) },
    'fpga-zc706': { ...run((ir) => simulateFpga(ir)), secondsViaBackend: await viaBackend(createFpgaBackend()) },
  };
  console.log(JSON.stringify(report, null, 2));
}

void main();
