#!/usr/bin/env node
// A small trainer for the tests of the trainer evaluator. It follows (or, on purpose, breaks)
// hwnas.trainer/v1. The behaviour is its first argument:
//   good      reports each epoch up to HWNAS_EPOCHS, checkpointing to the work dir, then a final report
//   exit1     prints to stderr and exits 1
//   usage     prints a usage error to stderr and exits 2, as Python's argparse does
//   nofinal   reports one epoch and exits 0
//   garbage   prints a protocol line that is not JSON
//   nan       reports a NaN metric, as Python's json.dumps writes it
//   unknown   prints a protocol line of an unknown type
//   hang      reports one epoch and sleeps forever
//   arch      like good, but the accuracy depends on the architecture (HWNAS_ARCH), 20 ms per epoch
//   slow      reports each epoch up to HWNAS_EPOCHS, 150 ms apart, then a final report
//   stubborn  ignores SIGTERM, starts a grandchild that ignores it too, and sleeps forever
//   by-trial:M0,M1,...  behaves as mode Mi for trial i (HWNAS_TRIAL_ID) and as arch past the list
// It also writes its environment and working directory to env.json in the work dir, and, with
// HWNAS_STDIN_LIFELINE=1 (every mode but stubborn), exits at end of file on stdin.
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const byTrial = /^by-trial:(.*)$/.exec(process.argv[2] ?? '');
const mode = byTrial ? (byTrial[1].split(',')[Number(process.env.HWNAS_TRIAL_ID)] ?? 'arch') : process.argv[2];
const out = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('HWNAS_') || k.startsWith('TRACE')));
fs.writeFileSync('env.json', JSON.stringify({ env, cwd: process.cwd(), argv: process.argv.slice(2) }));
const forever = () => setInterval(() => {}, 1 << 30);
if (process.env.HWNAS_STDIN_LIFELINE === '1' && mode !== 'stubborn') {
  process.stdin.on('end', () => {
    console.error('stdin closed: the worker is gone');
    process.exit(143);
  });
  process.stdin.resume();
  process.stdin.unref(); // watching stdin must not keep a finished trainer alive
}

switch (mode) {
  case 'good': {
    const epochs = Number(process.env.HWNAS_EPOCHS);
    const ckpt = path.join(process.env.HWNAS_WORK_DIR, 'checkpoint.json');
    let start = 0;
    if (fs.existsSync(ckpt)) {
      start = JSON.parse(fs.readFileSync(ckpt, 'utf8')).epoch;
      out({ hwnas: 'resumed', epoch: start });
    }
    console.log('a log line that is not a protocol line');
    console.log('{"loss": 1} (a brace line without the hwnas key is a log line too)');
    console.error('warning: a stderr line');
    let acc = 10 + start * 5;
    for (let e = start + 1; e <= epochs; e++) {
      acc += 5;
      out({ hwnas: 'report', epoch: e, metrics: { valid_accuracy: acc, train_loss: 1 / e } });
      fs.writeFileSync(ckpt, JSON.stringify({ epoch: e }));
    }
    out({ hwnas: 'final', epoch: epochs, metrics: { accuracy: acc, valid_accuracy: acc } });
    break;
  }
  case 'arch': {
    const epochs = Number(process.env.HWNAS_EPOCHS);
    let h = 0;
    for (const ch of process.env.HWNAS_ARCH) h = (h * 31 + ch.charCodeAt(0)) % 1000;
    const ckpt = path.join(process.env.HWNAS_WORK_DIR, 'checkpoint.json');
    let e = fs.existsSync(ckpt) ? JSON.parse(fs.readFileSync(ckpt, 'utf8')).epoch : 0;
    if (e > 0) out({ hwnas: 'resumed', epoch: e });
    const acc = (k) => 50 + (h / 1000) * 40 * (k / 50 + 0.5);
    const tick = () => {
      if (e >= epochs) return out({ hwnas: 'final', epoch: e, metrics: { accuracy: acc(e), valid_accuracy: acc(e) } });
      e++;
      fs.writeFileSync(ckpt, JSON.stringify({ epoch: e }));
      out({ hwnas: 'report', epoch: e, metrics: { valid_accuracy: acc(e) } });
      setTimeout(tick, 20);
    };
    tick();
    break;
  }
  case 'slow': {
    const epochs = Number(process.env.HWNAS_EPOCHS);
    let e = 0;
    const tick = () => {
      e++;
      out({ hwnas: 'report', epoch: e, metrics: { valid_accuracy: 10 * e, train_loss: 1 / e } });
      if (e < epochs) setTimeout(tick, 150);
      else out({ hwnas: 'final', epoch: e, metrics: { accuracy: 10 * e } });
    };
    setTimeout(tick, 10);
    break;
  }
  case 'exit1':
    console.error('Traceback (most recent call last):');
    console.error('RuntimeError: CUDA out of memory');
    process.exit(1);
    break;
  case 'usage':
    console.error('usage: train.py [-h] --data DIR');
    console.error('train.py: error: the following arguments are required: --data');
    process.exit(2);
    break;
  case 'nofinal':
    out({ hwnas: 'report', epoch: 1, metrics: { valid_accuracy: 12 } });
    break;
  case 'garbage':
    console.error('about to print garbage');
    process.stdout.write('{"hwnas": "report", "epoch": 1, "metrics": {\n');
    forever();
    break;
  case 'nan':
    process.stdout.write('{"hwnas": "report", "epoch": 1, "metrics": {"valid_accuracy": NaN}}\n');
    forever();
    break;
  case 'unknown':
    out({ hwnas: 'progress', epoch: 1 });
    forever();
    break;
  case 'hang':
    out({ hwnas: 'report', epoch: 1, metrics: { valid_accuracy: 12 } });
    forever();
    break;
  case 'stubborn': {
    process.on('SIGTERM', () => console.error('ignoring SIGTERM'));
    const child = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1 << 30)"], { stdio: 'ignore' });
    console.error(`grandchild ${child.pid}`);
    out({ hwnas: 'report', epoch: 1, metrics: { valid_accuracy: 12 } });
    forever();
    break;
  }
  default:
    console.error(`unknown mode ${mode}`);
    process.exit(2);
}
