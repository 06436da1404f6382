// A stand-in for a worker in the orphan-protection test: runs one trainer with runTrainer, prints
// "trainer <pid>" once it runs and "report <epoch>" per report, and waits. The test SIGKILLs this process and checks that the
// trainer (in its own process group, so out of reach of any signal) stops by itself.
//   node --import tsx trainer-host.ts <work dir> <program> [args...]
import { runTrainer } from '../run-trainer';

const [cwd, ...argv] = process.argv.slice(2);
runTrainer({
  argv,
  cwd,
  env: { ...process.env, HWNAS_EPOCHS: '3', HWNAS_WORK_DIR: cwd },
  onSpawn: (pid) => process.stdout.write(`trainer ${pid}\n`),
  onMessage: (msg) => process.stdout.write(`${msg.type} ${msg.epoch}\n`),
}).then(
  () => process.stdout.write('trainer ended\n'),
  (err: unknown) => process.stdout.write(`trainer failed: ${String(err)}\n`),
);
