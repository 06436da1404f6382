// Writes, as JSON on stdout, the network IR and parameter count libs/bench-core gives for random
// architectures of both spaces, plus the all-`nor_conv_3x3` and all-`none` NB201 cells whose
// counts NAS-Bench-201 publishes. The Python tests compare the PyTorch models against it.
// Usage: node --import tsx trainers/pytorch/tests/dump_ir.ts [count per space] [seed]
import { Rng, buildNetworkIR, getSpace, networkCost, sampleArch } from '@hwnas/bench-core';
import type { Arch } from '@hwnas/bench-core';

const count = Number(process.argv[2] ?? 3);
const rng = new Rng(Number(process.argv[3] ?? 1));

const cases: { space: string; dataset: string; arch: Arch }[] = [
  { space: 'nb201', dataset: 'cifar10', arch: [3, 3, 3, 3, 3, 3] },
  { space: 'nb201', dataset: 'cifar10', arch: [0, 0, 0, 0, 0, 0] },
];
for (let i = 0; i < count; i++) {
  cases.push({ space: 'nb201', dataset: ['cifar10', 'cifar100', 'ImageNet16-120'][i % 3], arch: sampleArch(getSpace('nb201'), rng) });
  cases.push({ space: 'fbnet', dataset: 'cifar100', arch: sampleArch(getSpace('fbnet'), rng) });
}
cases.push({ space: 'fbnet', dataset: 'ImageNet', arch: sampleArch(getSpace('fbnet'), rng) });

const out = cases.map(({ space, dataset, arch }) => {
  const s = getSpace(space);
  const ir = buildNetworkIR(s, arch, dataset);
  return { space, dataset, string: s.format(arch), encoding: [...arch], params: networkCost(ir).params, ir };
});
process.stdout.write(JSON.stringify(out));
