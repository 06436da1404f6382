import { InvalidArgumentError } from '@hwnas/bench-core';
import { AshaScheduler } from './asha';
import { BudgetedHalvingScheduler } from './budgeted-halving';
import { isSchedulerName, SCHEDULER_NAMES } from './fidelity-scheduler';
import type { FidelityScheduler, SchedulerOptions } from './fidelity-scheduler';
import { ForecastingScheduler } from './forecasting';
import { FullFidelityScheduler } from './full-fidelity';
import { SynchronousHalvingScheduler } from './successive-halving';

/**
 * Creates scheduler `name` (`none`, `sh`, `asha`, `hyperband`, `budget-sh`, and `forecast-` + each of sh, asha, hyperband). Throws {@link InvalidArgumentError}
 * for an unknown name or invalid options (rungs, eta, bracket size, a missing epoch budget).
 */
export function createScheduler(name: string, opts: SchedulerOptions): FidelityScheduler {
  if (!isSchedulerName(name)) throw new InvalidArgumentError(`unknown scheduler "${name}"; known schedulers: ${SCHEDULER_NAMES.join(', ')}`);
  if (!Number.isInteger(opts.maxEpochs) || opts.maxEpochs < 1) throw new InvalidArgumentError(`max epochs must be a positive integer, got ${opts.maxEpochs}`);
  switch (name) {
    case 'none':
      return new FullFidelityScheduler(opts);
    case 'asha':
      return new AshaScheduler(opts);
    case 'sh':
    case 'hyperband':
      return new SynchronousHalvingScheduler(opts, name);
    case 'budget-sh':
      return new BudgetedHalvingScheduler(opts);
    case 'forecast-sh':
    case 'forecast-asha':
    case 'forecast-hyperband': {
      if (!opts.space) throw new InvalidArgumentError(`scheduler "${name}" needs the search space (its forecast's features)`);
      return new ForecastingScheduler(createScheduler(name.slice('forecast-'.length), opts), { space: opts.space });
    }
  }
}
