import { CategoricalGp, selectHyper } from '@hwnas/search/internal';
import type { ArchEncoding } from '@hwnas/search/internal';

/** A residual model's correction at one architecture, on the log scale of the cost. */
export interface ResidualCorrection {
  /** Predicted log(measured / model mean): the model's mean is multiplied by exp(shift). */
  readonly shift: number;
  /** Predictive sd of a new measurement's log residual (the GP's latent sd and its noise). */
  readonly sd: number;
}

/**
 * A Gaussian process over architecture encodings on the log ratio measured / predicted of the
 * measured architectures: the mixture of references is a global fit, its errors are local (a
 * family of cells that the closest reference prices differently), so measured neighbours correct
 * a prediction where they are close, and the correction's sd grows with the distance to them
 * (back to the spread of the residuals seen far from every measurement). Hyperparameters by
 * type-II maximum likelihood over the search library's grid. Needs at least two residuals.
 * `CostScreen` uses the shift; scripts/near-bound-errors.ts also scores bands with the sd.
 */
export class ResidualModel {
  /**
   * Shifts computed so far, by encoding. NB201 cells that differ only on dead edges share one
   * (9,445 encodings for 15,625 cells), so a screen predicting the whole space computes each once.
   */
  private readonly shifts = new Map<number | string, number>();

  private constructor(
    private readonly gp: CategoricalGp,
    private readonly noiseVariance: number,
  ) {}

  static fit(points: readonly ArchEncoding[], logResiduals: readonly number[]): ResidualModel | undefined {
    if (points.length < 2) return undefined;
    const hyper = selectHyper(points, logResiduals);
    const gp = new CategoricalGp(points, logResiduals, hyper);
    if (Number.isNaN(gp.logLikelihood)) return undefined;
    return new ResidualModel(gp, hyper.noise * gp.priorSd ** 2);
  }

  /**
   * The predicted log residual alone (O(n) in the measurements, without the sd's O(n^2) solve; once
   * per distinct encoding, remembered for the model's lifetime).
   */
  shift(point: ArchEncoding): number {
    const key = encodingKey(point);
    let shift = this.shifts.get(key);
    if (shift === undefined) {
      shift = this.gp.mean(point);
      this.shifts.set(key, shift);
    }
    return shift;
  }

  predict(point: ArchEncoding): ResidualCorrection {
    const p = this.gp.predict(point);
    return { shift: p.mean, sd: Math.sqrt(p.sd * p.sd + this.noiseVariance) };
  }
}

/**
 * A key equal for equal encodings only: a number when the count of decisions and every decision
 * and feature are integers in 0..15 and fit 52 bits as hexadecimal digits (NB201: 1 + 6 + 6),
 * else a string (slower to build).
 */
function encodingKey(point: ArchEncoding): number | string {
  const { arch, features } = point;
  if (arch.length < 16 && (1 + arch.length + features.length) * 4 <= 52) {
    let key = arch.length;
    let small = true;
    for (const v of arch) {
      small &&= v >= 0 && v < 16 && Number.isInteger(v);
      key = key * 16 + v;
    }
    for (const v of features) {
      small &&= v >= 0 && v < 16 && Number.isInteger(v);
      key = key * 16 + v;
    }
    if (small) return key;
  }
  return `${arch.join(',')}|${features.join(',')}`;
}

