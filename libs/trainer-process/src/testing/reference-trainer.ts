import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

/** The repository's reference PyTorch trainer (trainers/pytorch/train.py), absolute. */
export const REFERENCE_TRAINER = resolve(__dirname, '..', '..', '..', '..', 'trainers', 'pytorch', 'train.py');
/** Debian's Python, the one with python3-torch (the `python3` on PATH may be another). */
export const TRAINER_PYTHON = '/usr/bin/python3';

/**
 * Writes the trainer tests' synthetic image set into `dir` (480 train / 100 test images, 32x32,
 * 10 classes with class-dependent patterns; the same bytes every time) and returns `dir`.
 */
export function writeSyntheticSet(dir: string): string {
  execFileSync(TRAINER_PYTHON, [join(REFERENCE_TRAINER, '..', 'make_synthetic.py'), dir, '--train', '480', '--test', '100', '--format', 'npz', '--seed', '3'], { stdio: 'pipe' });
  return dir;
}

/**
 * The command line of the reference trainer on `dataDir` at the tests' tiny size: NAS-Bench-201
 * at width 4 with 1 cell per stage, batch 32, one PyTorch thread, cosine over 4 epochs; `extra`
 * words are appended. Paths must hold no quote characters.
 */
export function tinyReferenceTrainerCommand(dataDir: string, extra = ''): string {
  return `${TRAINER_PYTHON} '${REFERENCE_TRAINER}' --data '${dataDir}' --width 4 --cells 1 --threads 1 --batch-size 32 --schedule-epochs 4 ${extra}`.trim();
}
