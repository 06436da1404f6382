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

  /** The predicted log residual alone (O(n) in the measurements, without the sd's O(n^2) solve). */
  shift(point: ArchEncoding): number {
    return this.gp.mean(point);
  }

  predict(point: ArchEncoding): ResidualCorrection {
    const p = this.gp.predict(point);
    return { shift: p.mean, sd: Math.sqrt(p.sd * p.sd + this.noiseVariance) };
  }
}
