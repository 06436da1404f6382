import { InvalidArgumentError, Rng } from '@hwnas/bench-core';
import type { NetworkIR, Shape } from '@hwnas/bench-core';
import * as ort from 'onnxruntime-node';
import { exportOnnx, INPUT_NAME } from './export';
import type { BatchNormMode } from './export';
import { withSession } from './session';

/** Options of {@link naswotScore}. */
export interface NaswotOptions {
  /** Seed of the random weights (default 0). */
  readonly seed?: number;
  /** Seed of the synthetic input batch (default 0). */
  readonly inputSeed?: number;
  /** Mini-batch size N, the order of the kernel matrix (default 64; the paper uses 128). */
  readonly batch?: number;
  /**
   * Batch-norm semantics (default `'batch-stats'`: a freshly initialized network in training mode,
   * as NASWOT's reference implementation scores it).
   */
  readonly bn?: BatchNormMode;
  /** Intra-op threads of the ONNX Runtime session (default 1). */
  readonly threads?: number;
  /**
   * The mini-batch to use instead of {@link syntheticBatch} (e.g. real images): NCHW float32 of
   * `batch` inputs shaped like the IR input.
   */
  readonly images?: Float32Array;
  /** Also return the kernel matrix (default false). */
  readonly keepKernel?: boolean;
}

/** A NASWOT score with what it was computed from. Treat as frozen. */
export interface NaswotResult {
  /** log|det K_H| (natural log); `-Infinity` when K_H is singular (e.g. no ReLU varies). */
  readonly score: number;
  /** Mini-batch size N. */
  readonly batch: number;
  /** N_A: ReLU units per input, summed over every ReLU layer of the IR. */
  readonly units: number;
  /** Number of ReLU layers whose codes were counted. */
  readonly reluLayers: number;
  /** K_H, row-major N x N, when `keepKernel` was set. */
  readonly kernel?: Float64Array;
}

/**
 * The NASWOT training-free score (Mellor, Turner, Storkey & Crowley, "Neural Architecture Search
 * without Training", ICML 2021), computed by a real forward pass through ONNX Runtime.
 *
 * The IR is exported with random weights ({@link exportOnnx}, `outputs: 'logits+relu-gram'`) and
 * run on a fixed synthetic batch ({@link syntheticBatch}) of N inputs. For every ReLU layer the
 * graph itself reduces the binary activation codes c (1 where the pre-activation is > 0) to their
 * Gram matrix G = c c^T, so no code matrix ever leaves the runtime. Per layer of U units the
 * agreement counts are U - G_aa - G_bb + 2 G_ab (U minus the Hamming distance); they are summed in
 * float64 over all ReLU layers into K_H, and the score is log|det K_H| via {@link slogdet}.
 *
 * Deterministic for fixed options. Takes one ONNX Runtime session (released before returning).
 * Throws {@link InvalidArgumentError} for an IR without ReLU layers or bad options.
 */
export async function naswotScore(ir: NetworkIR, opts: NaswotOptions = {}): Promise<NaswotResult> {
  const batch = opts.batch ?? 64;
  if (!Number.isInteger(batch) || batch < 2) throw new InvalidArgumentError(`NASWOT batch must be an integer >= 2, got ${batch}`);
  const relus = ir.layers.filter((l) => l.type === 'relu');
  if (relus.length === 0) throw new InvalidArgumentError(`NASWOT needs ReLU layers; ${ir.space} ${ir.arch} has none`);
  const model = exportOnnx(ir, { seed: opts.seed ?? 0, batch, outputs: 'logits+relu-gram', bn: opts.bn ?? 'batch-stats' });
  const dims = [batch, ir.input.c, ir.input.h, ir.input.w];
  const images = opts.images ?? syntheticBatch(batch, ir.input, opts.inputSeed ?? 0);
  if (images.length !== dims[0] * dims[1] * dims[2] * dims[3]) throw new InvalidArgumentError(`NASWOT images must hold ${dims.join(' x ')} values, got ${images.length}`);
  const input = new ort.Tensor('float32', images, dims);
  const k = new Float64Array(batch * batch);
  let units = 0;
  await withSession(model, { threads: opts.threads ?? 1 }, async (session) => {
    const out = await session.run({ [INPUT_NAME]: input });
    for (const relu of relus) {
      const g = out[`relu_gram_${relu.id}`].data as Float32Array;
      const u = shapeSize(relu.outShape);
      units += u;
      for (let a = 0; a < batch; a++) {
        const gaa = g[a * batch + a];
        for (let b = 0; b < batch; b++) k[a * batch + b] += u - gaa - g[b * batch + b] + 2 * g[a * batch + b];
      }
    }
  });
  const { logAbsDet } = slogdet(k, batch);
  return { score: logAbsDet, batch, units, reluLayers: relus.length, ...(opts.keepKernel ? { kernel: k } : {}) };
}

/**
 * `n` deterministic pseudo-images of `shape`, NCHW float32: i.i.d. standard normal pixels, i.e.
 * noise with the statistics of a per-channel normalized CIFAR batch. Same arguments -> same data.
 */
export function syntheticBatch(n: number, shape: Shape, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n * shape.c * shape.h * shape.w);
  for (let i = 0; i < out.length; i++) out[i] = rng.normal();
  return out;
}

/**
 * Sign and natural log of the absolute determinant of the row-major `n x n` matrix `a` (like
 * `numpy.linalg.slogdet`), by LU decomposition with partial pivoting in float64. A singular
 * matrix gives `{ sign: 0, logAbsDet: -Infinity }`. Does not modify `a`.
 */
export function slogdet(a: ArrayLike<number>, n: number): { sign: -1 | 0 | 1; logAbsDet: number } {
  if (!Number.isInteger(n) || n < 0 || a.length !== n * n) throw new InvalidArgumentError(`slogdet: expected ${n} x ${n} = ${n * n} entries, got ${a.length}`);
  const m = Float64Array.from(a);
  let sign: -1 | 1 = 1;
  let logAbsDet = 0;
  for (let col = 0; col < n; col++) {
    let piv = col;
    let best = Math.abs(m[col * n + col]);
    for (let r = col + 1; r < n; r++) {
      const v = Math.abs(m[r * n + col]);
      if (v > best) {
        best = v;
        piv = r;
      }
    }
    if (best === 0 || !Number.isFinite(best)) return { sign: 0, logAbsDet: best === 0 ? -Infinity : NaN };
    if (piv !== col) {
      for (let c = 0; c < n; c++) {
        const t = m[col * n + c];
        m[col * n + c] = m[piv * n + c];
        m[piv * n + c] = t;
      }
      sign = -sign as -1 | 1;
    }
    const d = m[col * n + col];
    if (d < 0) sign = -sign as -1 | 1;
    logAbsDet += Math.log(Math.abs(d));
    for (let r = col + 1; r < n; r++) {
      const f = m[r * n + col] / d;
      if (f === 0) continue;
      for (let c = col + 1; c < n; c++) m[r * n + c] -= f * m[col * n + c];
    }
  }
  return { sign, logAbsDet };
}

function shapeSize(s: Shape): number {
  return s.c * s.h * s.w;
}
