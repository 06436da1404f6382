import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';

const BIN = path.resolve(__dirname, '..', 'bin', 'hwnas.js');

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
