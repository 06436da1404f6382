import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { helpTexts, main } from './main';

const BIN = path.resolve(__dirname, '..', 'bin', 'hwnas.js');
// The bin's own CommonJS helpers, as the bin loads them.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { fastHelp } = require('../bin/fast-help.cjs') as { fastHelp(argv: readonly string[], texts: Record<string, string>): { text: string; code: number } | undefined };
const BUNDLE_FILES = path.resolve(__dirname, '..', 'bin', 'bundle-files.cjs');

async function run(argv: readonly string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n') });
  return { out, err, code };
}

describe('bin/hwnas.js', () => {
  it('runs the TypeScript sources when told to (what it does when the bundle is older than them), commands loaded on use', () => {
    const env = { ...process.env, HWNAS_CLI: 'source' };
    const help = execFileSync(process.execPath, [BIN, '--help'], { env, encoding: 'utf8' });
    for (const name of ['query', 'devices', 'measure', 'status', 'watch', 'cancel', 'results', 'search', 'bench-search']) expect(help).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    // A command's own usage comes from its module, loaded when the command runs.
    expect(execFileSync(process.execPath, [BIN, 'query', '--help'], { env, encoding: 'utf8' })).toMatch(/^hwnas query --space nb201\|fbnet/);
    const bad = spawnSync(process.execPath, [BIN, 'nope'], { env, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^hwnas: unknown command "nope"/);
  });
});

describe('bin/fast-help.cjs', () => {
  it('fast help - prints what main() prints, with its exit code, for every help request, and leaves everything else to main()', async () => {
    const texts = await helpTexts();
    const asks: string[][] = [[], ['--help'], ['-h'], ['help'], ['help', 'search']];
    for (const name of Object.keys(texts).filter((n) => n !== '')) asks.push([name, '--help'], [name, '-h'], [name, '--json', '--help']);
    for (const argv of asks) {
      const full = await run(argv);
      const fast = fastHelp(argv, texts);
      expect({ argv, out: fast ? fast.text + '\n' : undefined, code: fast?.code }).toEqual({ argv, out: full.out, code: full.code });
    }
    // Not help requests: main() runs them (an unknown command's help goes to stderr, exit 2).
    for (const argv of [['nope', '--help'], ['query'], ['search', '--space', 'nb201'], ['__proto__', '--help']]) expect(fastHelp(argv, texts)).toBeUndefined();
  });
});

describe('bin/bundle-files.cjs', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hwnas-bin-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Loads `file` with stamp `stamp` through the code cache in a fresh process (V8 keeps compiled scripts per process), then saves the cache. */
  function load(file: string, stamp: string): { cacheUsed: boolean; answer: number } {
    const script = `const b = require(${JSON.stringify(BUNDLE_FILES)}).loadBundle({ file: ${JSON.stringify(file)}, stamp: ${JSON.stringify(stamp)} });
      process.stdout.write(JSON.stringify({ cacheUsed: b.cacheUsed, answer: b.exports.answer() }));
      b.saveCache();`;
    return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
  }

  it('code cache - written after a run, used by the next load of the same build, ignored and rewritten for another build or when V8 rejects it', () => {
    const file = path.join(dir, 'main.js');
    writeFileSync(file, "'use strict';\nconst path = require('node:path');\nexports.answer = () => path.basename(__filename).length * 6;\n");
    const cache = `${file}.v8cache`;
    expect(load(file, 'a')).toEqual({ cacheUsed: false, answer: 42 });
    const written = readFileSync(cache);
    expect(load(file, 'a')).toEqual({ cacheUsed: true, answer: 42 });
    expect(readFileSync(cache)).toEqual(written);
    // Another build of the bundle (its stamp): the cache is not offered to V8, and is replaced.
    expect(load(file, 'b')).toEqual({ cacheUsed: false, answer: 42 });
    expect(load(file, 'b')).toEqual({ cacheUsed: true, answer: 42 });
    // A damaged cache with the right header: V8 rejects it, the module still loads, the cache is rewritten.
    const header = readFileSync(cache).subarray(0, readFileSync(cache).indexOf(10) + 1);
    writeFileSync(cache, Buffer.concat([header, Buffer.from('not a V8 code cache')]));
    expect(load(file, 'b')).toEqual({ cacheUsed: false, answer: 42 });
    expect(statSync(cache).size).toBeGreaterThan(header.length + 100);
    expect(load(file, 'b')).toEqual({ cacheUsed: true, answer: 42 });
  });
});
