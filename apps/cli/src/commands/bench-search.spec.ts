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

  it('--merge re-runs only the named strategy on the file\'s grid, keeps peer rows and notes, and refuses other settings', async () => {
    const own = path.join(dir, 'merge-own');
    const grid = ['--seeds', '2', '--modes', 'joint', '--tasks', 'C', '--budgets-c', '10,20', '--device', 'raspi4_latency'];
    expect((await runCli(['bench-search', ...grid, '--strategies', 'rea', '--out', own, '--data', dataDir])).code).toBe(0);
    writePeers(path.join(dir, 'peer-m.json'), 'peer-m', 20);
    writeFileSync(path.join(dir, 'notes.md'), '## Notes\n\nWritten by hand.\n');
    const withPeer = path.join(dir, 'merge-peer');
    expect((await runCli(['bench-search', '--from-json', path.join(own, 'search.json'), '--peers', path.join(dir, 'peer-m.json'), '--notes', path.join(dir, 'notes.md'), '--out', withPeer, '--data', dataDir])).code).toBe(0);
    const before = JSON.parse(readFileSync(path.join(withPeer, 'search.json'), 'utf8'));

    const merged = path.join(dir, 'merged');
    const run = await runCli(['bench-search', '--merge', path.join(withPeer, 'search.json'), '--strategies', 'rea,nsga2', '--seeds', '2', '--out', merged, '--data', dataDir]);
    expect(run.err).not.toMatch(/internal error/);
    expect(run.code).toBe(0);
    const after = JSON.parse(readFileSync(path.join(merged, 'search.json'), 'utf8'));
    const rows = after.tables[0].rows;
    expect(rows.map((r: { strategy: string }) => r.strategy)).toEqual(['random', 'rea', 'nsga2', 'peer-m']);
    expect(rows[1].value).toEqual(before.tables[0].rows[1].value);
    expect(rows[0]).toEqual(before.tables[0].rows[0]);
    expect(after.merges).toHaveLength(1);
    expect(after.merges[0].strategies).toEqual(['rea', 'nsga2']);
    const page = readFileSync(path.join(merged, 'search.md'), 'utf8');
    expect(page).toContain('Rows of rea, nsga2 re-run later on the same tasks, budgets and seeds by `hwnas bench-search --merge');
    expect(page).toContain("Rows named optuna-* are test-peer's samplers");
    expect(page).toContain('## Notes\n\nWritten by hand.');
    expect(page).toMatch(/\| peer-m \| [0-9.]+ \(/);

    // Merging the same strategy again replaces its record instead of listing both.
    const again = path.join(dir, 'merged-again');
    expect((await runCli(['bench-search', '--merge', path.join(merged, 'search.json'), '--strategies', 'nsga2', '--out', again, '--data', dataDir])).code).toBe(0);
    const twice = JSON.parse(readFileSync(path.join(again, 'search.json'), 'utf8'));
    expect(twice.merges.map((m: { strategies: string[] }) => m.strategies)).toEqual([['rea', 'nsga2'], ['nsga2']]);
    const thrice = path.join(dir, 'merged-thrice');
    expect((await runCli(['bench-search', '--merge', path.join(again, 'search.json'), '--strategies', 'rea,nsga2', '--out', thrice, '--data', dataDir])).code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(thrice, 'search.json'), 'utf8')).merges.map((m: { strategies: string[] }) => m.strategies)).toEqual([['rea', 'nsga2']]);

    const refused = await runCli(['bench-search', '--merge', path.join(withPeer, 'search.json'), '--strategies', 'rea', '--budgets-c', '10,30', '--data', dataDir]);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain('was run with other settings: budgetsC 10,30 (the report has 10,20)');
    const noNames = await runCli(['bench-search', '--merge', path.join(withPeer, 'search.json'), '--data', dataDir]);
    expect(noNames.code).not.toBe(0);
    expect(noNames.err).toContain('--merge needs --strategies');
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
  it('drops the data directory and the notes file in both spellings and keeps everything else', () => {
    expect(commandLine(['--tasks', 'E', '--data', '/x/data', '--seeds', '3', '--data=/y', '--notes', 'n.md', '--notes=m.md'])).toBe('hwnas bench-search --tasks E --seeds 3');
  });
});
