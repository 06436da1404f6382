import { Benchmark } from '@hwnas/bench-core';
import { testDataDir } from '@hwnas/bench-core/testing';
import { describeBackendConformance } from './testing/backend-conformance';
import { createBackend } from './registry';
import type { BackendId } from './registry';

// Every backend of the registry runs the same suite; a new backend is one row here.
const dataDir = testDataDir();
const benchmark = dataDir ? Benchmark.open({ dataDir }) : undefined;
const BACKENDS: readonly [BackendId, boolean][] = [
  ['asic-eyeriss', false],
  ['fpga-zc706', false],
  // Few repeats: the suite checks the contract, not the timing quality (see host-cpu.spec.ts).
  ['host-cpu', false],
  ['raspi4', true],
  ['pixel3', true],
  ['edgegpu', true],
];

for (const [id, needsData] of BACKENDS) {
  if (needsData && !benchmark) {
    describe.skip(`${id} conformance (benchmark data not found; set HWNAS_DATA)`, () => undefined);
    continue;
  }
  describeBackendConformance(id, () => createBackend(id, { benchmark, hostCpu: { warmup: 1, repeats: 5, retries: 0 } }), { timeoutMs: 60_000 });
}
