import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STDIN_LIFELINE_ENV } from './protocol';
import { runTrainer } from './run-trainer';
import { processGroupMembers } from './testing/process-list';

const FAKE = join(__dirname, 'testing', 'fake-trainer.js');
const HOST = join(__dirname, 'testing', 'trainer-host.ts');

async function waitUntil(cond: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('runTrainer', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'hwnas-run-trainer-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runTrainer - the trainer gets the stdin lifeline: an open pipe, and the variable saying so', async () => {
    const run = await runTrainer({ argv: [process.execPath, FAKE, 'good'], cwd: dir, env: { ...process.env, HWNAS_EPOCHS: '2', HWNAS_WORK_DIR: dir } });
    expect(run.epoch).toBe(2);
    const seen = JSON.parse(readFileSync(join(dir, 'env.json'), 'utf8'));
    expect(seen.env[STDIN_LIFELINE_ENV]).toBe('1');
  });

  it('runTrainer - a trainer stops by itself when the process that ran it is SIGKILLed (stdin reaches end of file)', async () => {
    const host = spawn(process.execPath, ['--import', 'tsx', HOST, dir, process.execPath, FAKE, 'hang'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    host.stdout.on('data', (b: Buffer) => (out += b.toString()));
    let trainerPid = 0;
    try {
      // After its first report the trainer only sleeps: nothing it writes could fail on a closed pipe.
      await waitUntil(() => /trainer (\d+)\n[^]*report 1\n/.test(out), 'the host\'s trainer to report epoch 1', 20_000);
      trainerPid = Number(/trainer (\d+)\n/.exec(out)![1]);
      expect(processGroupMembers(trainerPid)).toEqual([trainerPid]);
      host.kill('SIGKILL');
      // The trainer is in its own process group: only the closed pipe tells it.
      await waitUntil(() => processGroupMembers(trainerPid).length === 0, 'the orphaned trainer to exit', 5000);
    } finally {
      if (host.exitCode === null && host.signalCode === null) host.kill('SIGKILL');
      if (trainerPid) for (const pid of processGroupMembers(trainerPid)) process.kill(pid, 'SIGKILL');
    }
  }, 30_000);
});
