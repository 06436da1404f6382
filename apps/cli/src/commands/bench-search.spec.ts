import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describeWithData } from '@hwnas/bench-core/testing';
import { runCli } from '../testing';
import { commandLine } from './bench-search';

describeWithData('hwnas bench-search --from-json --peers', (dataDir) => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hwnas-bench-search-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A peer file with one row of task C on raspi4_latency: two seeds, `budget` distinct indices each. */
  const writePeers = (file: string, peer: string, budget: number) => {
    const evaluated = [0, 1].map((seed) => Array.from({ length: budget }, (_, k) => 100 * seed + k));
    writeFileSync(file, JSON.stringify({ tool: 'test-peer', runs: [{ task: 'C', device: 'raspi4_latency', mode: 'joint', peer, budget, evaluated, cpuSeconds: [0.1, 0.2], shortRuns: 0 }] }));
  };

  it('adds peer rows to a page that already has some, with "-" beyond a peer\'s budget', async () => {
    const own = path.join(dir, 'own');
    const first = await runCli(['bench-search', '--seeds', '2', '--strategies', 'random', '--modes', 'joint', '--tasks', 'C', '--budgets-c', '10,20', '--device', 'raspi4_latency', '--out', own, '--data', dataDir]);
    expect(first.code).toBe(0);
    // The page names the command without the machine's data directory.
    expect(readFileSync(path.join(own, 'search.md'), 'utf8')).toContain(`Produced by \`hwnas bench-search --seeds 2 --strategies random --modes joint --tasks C --budgets-c 10,20 --device raspi4_latency --out ${own}\``);
    writePeers(path.join(dir, 'peer-a.json'), 'peer-a', 10);
    writePeers(path.join(dir, 'peer-b.json'), 'peer-b', 20);
    const withA = path.join(dir, 'with-a');
    expect((await runCli(['bench-search', '--from-json', path.join(own, 'search.json'), '--peers', path.join(dir, 'peer-a.json'), '--out', withA, '--data', dataDir])).code).toBe(0);
    // peer-a has no N=20 cell: its JSON holds null there, which must read back as "not run".
    const withB = path.join(dir, 'with-b');
    const again = await runCli(['bench-search', '--from-json', path.join(withA, 'search.json'), '--peers', path.join(dir, 'peer-b.json'), '--out', withB, '--data', dataDir]);
    expect(again.err).not.toMatch(/internal error/);
    expect(again.code).toBe(0);
    const page = readFileSync(path.join(withB, 'search.md'), 'utf8');
    expect(page).toMatch(/\| peer-a \| [0-9.]+ \([0-9.]+; worst [0-9.]+\) \| - \|/);
    expect(page).toMatch(/\| peer-b \| [0-9.]+ \([0-9.]+; worst [0-9.]+\) \| [0-9.]+ \(/);
  });

  it('names the flag and the file when --from-json is not JSON', async () => {
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    const { code, err } = await runCli(['bench-search', '--from-json', bad, '--data', dataDir]);
    expect(code).not.toBe(0);
    expect(err).toContain(`--from-json ${bad} is not JSON`);
  });
});

describe('bench-search commandLine', () => {
  it('drops the data directory in both spellings and keeps everything else', () => {
    expect(commandLine(['--tasks', 'E', '--data', '/x/data', '--seeds', '3', '--data=/y'])).toBe('hwnas bench-search --tasks E --seeds 3');
  });
});
