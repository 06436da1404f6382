import * as path from 'node:path';
import { Benchmark, getSpace, InvalidArgumentError } from '@hwnas/bench-core';
import type { Arch, Metrics, QueryResult } from '@hwnas/bench-core';
import { DEFAULT_SCREEN_Z } from '@hwnas/cost-model';
import { InProcessDevices } from '@hwnas/device-backends';
import { createNaswotProxy, NASWOT_METRIC } from '@hwnas/onnx';
import { CoordinatorDashboardSource, inProcessDeviceRows, parseListen, startDashboardServer } from '@hwnas/dashboard';
import type { DashboardServer } from '@hwnas/dashboard';
import { createStopper, createTableSearchFactory, EARLY_STOPPING_RULES, InMemoryTrialJournal, isPromotingRule, reportScore, startEmbedded, TableTrialEvaluator } from '@hwnas/runtime';
import type { EarlyStoppingRule, EvaluatedArch, TrainingSpec } from '@hwnas/runtime';
import { getStrategyDefinition, isOneShotStrategyName, isPareto, ONE_SHOT_STRATEGY_NAMES, parseConstraint, STRATEGY_NAMES } from '@hwnas/search';
import { ProcessTrainerEvaluator, STOPPED_EPOCH_METRIC, TrainedWithCostsEvaluator } from '@hwnas/trainer-process';
import type { OneShotStrategyName, PredictorExplanation, SearchProblem, TrialFate } from '@hwnas/search';
import { DATA_OPTION, intOption, parseCommandArgs, required } from '../args';
import type { Command } from '../command';
import { fmt, renderTable } from '../format';
import { REMOTE_OPTIONS, REMOTE_USAGE, remoteOptionsFrom } from '../remote/options';

/** Where `--dashboard` without an address serves. */
const DEFAULT_DASHBOARD = '127.0.0.1:8080';

const USAGE = `hwnas search --space nb201|fbnet --dataset DATASET --strategy NAME --budget N
             [--objective METRIC[:max|min] ...] [--constraint 'METRIC<=VALUE' ...]
             [--reward COST:TARGET[:EXPONENT]] [--mode joint|cost-first] [--option KEY=VALUE ...]
             [--device ID ...] [--seed S] [--parallelism K] [--data DIR] [--history] [--explain] [--json]
             [--dashboard [HOST:PORT] [--dashboard-linger S]]
             [--coordinator HOST:PORT [--token-file FILE] [--tls] [--watch]]
             [--trainer 'CMD' --epochs E [--scheduler asha|hyperband|sh|budget-sh] [--min-epochs M] [--eta 3]
              [--trainer-timeout S] [--work-root DIR] [--curves]]
             [--cost-model FILE|ID [--nats URL [--prefix P] [--bucket B]] [--screen-z 2] [--screen-conformal P]]
             [--coordinator HOST:PORT --mode cost-first --cost-model DEVICE_ID [--bucket B] [--screen-z Z] [--screen-conformal P]]
             [--coordinator HOST:PORT --epochs E [--scheduler asha|hyperband|sh|budget-sh] [--min-epochs M] [--eta 3]]
hwnas search --space nb201|fbnet --dataset DATASET --strategy darts|na-darts|nas-ood
             --trainer '/usr/bin/python3 trainers/pytorch/oneshot/search.py --data DIR' --epochs E
             [--constraint 'METRIC<=VALUE' | --objective METRIC] [--cost-weight W] [--device ID ...]
             [--retrain 'CMD'] [--seed S] [--work-root DIR] [--curves] [--json]
hwnas search --space nb201|fbnet --dataset DATASET --strategy darts|na-darts|nas-ood --epochs E
             --coordinator HOST:PORT [--watch] [--retrain worker] [--constraint ... | --objective ...]
             [--cost-weight W] [--device ID ...] [--seed S] [--json]

  Runs a search and prints the best feasible architecture (one objective) or the feasible
  Pareto front (two or more objectives). By default everything runs embedded in this process
  (coordinator, worker and device backends over an in-memory queue: no servers, no network);
  with --coordinator the same search is submitted to a running cluster instead.

  --strategy     ${STRATEGY_NAMES.join(', ')}
  --budget       distinct architectures to evaluate (full evaluations)
  --objective    any metric of the data directory's tables: accuracy, valid_accuracy, flops,
                 params, HW-NAS-Bench costs such as raspi4_latency; direction defaults to the
                 metric's (max for accuracies, min for costs). Default: accuracy. Repeat for Pareto.
  --constraint   METRIC<=VALUE in the metric's unit (ms, mJ, millions), e.g. 'raspi4_latency<=15.72'
  --reward       MnasNet reward accuracy * (COST/TARGET)^EXPONENT (EXPONENT default -0.07)
  --mode         joint (default): an evaluation returns every metric; cost-first: costs may be
                 queried before an accuracy evaluation (counted separately)
  --option       a strategy option, e.g. --option populationSize=20 (libs/search/README.md lists them)
  --device       a device backend whose measured costs join each evaluation (asic-eyeriss,
                 fpga-zc706, host-cpu, ...; see hwnas devices), e.g. for --constraint 'eyeriss_latency<=2'
  --seed         strategy seed (default 0)
  --parallelism  evaluations in flight at once (default 1; with --coordinator, every slot of the
                 live workers, following them as they come and go); results are still told in ask
                 order, so with a fixed --parallelism the result depends on the seed only
  --history      include every full evaluation, in the order it was told to the strategy
  --max-failed N stop and fail the search once N evaluations have failed (default: no limit)
  --explain      include the fitted predictor coefficients (fox-nas)
  --accuracy-source table|proxy
                 where accuracy comes from: the NAS-Bench-201 tables, or the training-free NASWOT
                 proxy (metric naswot, real forward passes through ONNX Runtime). Default: table
                 when the data directory has an accuracy table for the space and dataset, else proxy
  --dashboard [HOST:PORT]
                 serve the web dashboard of the search while it runs (default ${DEFAULT_DASHBOARD});
                 after it ends, until Ctrl-C, or for --dashboard-linger S seconds. No token: keep
                 it on a loopback address
  --watch        with --coordinator: follow the search to its end and print its record
  --trainer      train for accuracy: run this command per evaluation under the trainer contract
                 hwnas.trainer/v1 (docs/trainer-contract.md), --parallelism trainers at once;
                 costs still come from the tables and devices. With --coordinator the command
                 is the workers' (hwnas-worker --trainer CMD): give --epochs to make the search train
  --epochs       epochs each trainer trains to (the full fidelity); with --coordinator, a trainer
                 search whose early stopping (--scheduler) the coordinator runs
  --scheduler    early stopping: asha or hyperband (stopping variants: a trial is stopped at a rung
                 of min-epochs * eta^k epochs unless it is among the best 1/eta there so far),
                 or sh or budget-sh (promotions: a trial trains to a rung and ends; once every
                 trial of its bracket reported there, the best 1/eta continue from their
                 checkpoints to the next rung; sh: brackets of eta^k trials, budget-sh: one
                 bracket of the whole budget); stopped trials are counted, never the best
  --min-epochs   lowest rung (default: epochs / eta^k, at least 1); --eta reduction factor (3)
  --trainer-timeout  seconds per evaluation before its process group is killed (default none)
  --work-root    trial work dirs (checkpoints) go to DIR/<search id>/trial-<id> (default ./hwnas-work)
  --curves       print each trial's learning curve (its intermediate reports)
  --cost-model   a calibration of hwnas calibrate (NB201 CIFAR-10, or FBNet CIFAR-100 with
                 --space fbnet there; any FBNet network, not only the table's): the device's cost, e.g.
                 raspi4_latency, is predicted (raspi4_latency_pred and _pred_std beside it) and
                 measured on the device only within --screen-z std of a constraint's bound or
                 when it could change the result; raspi4_latency_measured says which. Cost-first,
                 embedded, one evaluation at a time. With --nats URL, --cost-model is a device id:
                 its calibration is read from the JetStream key-value bucket B (default: the one
                 hwnas calibrate --nats stores into, P-cost-models, i.e. hwnas-cost-models) and
                 the device is measured through the device agent serving it on that NATS server
                 under the subject prefix P (--prefix, default hwnas, as the agent's --prefix).
                 With --coordinator HOST:PORT, --cost-model is a device id whose calibration the
                 coordinator reads from its NATS (--bucket B, default P-cost-models for the
                 coordinator's --prefix P, i.e. hwnas-cost-models) and
                 journals with the search; the device (added to --device) measures only what the
                 model does not predict, and the results mark predicted costs
  --screen-conformal P
                 widen the band to the P-quantile (0 < P < 1, e.g. 0.95) of the model's held-out
                 errors on this device (split conformal): every cost is measured until there are
                 enough of them; fewer wrong decisions for a device the model knows badly, more
                 measurements (docs/benchmarks/cost-screening.md)

  One-shot searches (darts, na-darts, nas-ood) train one supernet as one trainer task: per-epoch
  progress goes to stderr; the derived architecture is measured by the tables and --device
  backends and printed. The cost metric (the constraint's, or the first non-accuracy objective)
  gives the trainer a per-choice cost table; a constraint's bound becomes a soft target.
  --cost-weight  weight of the hardware-cost term (default 1 with a cost metric)
  --retrain      train the derived architecture from scratch with this trainer command (train.py)
  The same command started again with the same --work-root resumes from the supernet checkpoint.
  With --coordinator the supernet task runs on a worker's trainer slot (hwnas-worker --trainer CMD
  --oneshot-trainer CMD); its progress streams into --watch, GetResults and the trace; a worker
  lost mid-search hands the task to another, which resumes from the checkpoint in the shared
  --work-root. The derived architecture is then measured on the search's device agents, and with
  --retrain worker trained from scratch by a worker's --trainer.
${REMOTE_USAGE}`;

/** `--dashboard` may come without its value: give it the default then (parseArgs needs one). */
function withDashboardDefault(argv: readonly string[]): string[] {
  const out = [...argv];
  const i = out.indexOf('--dashboard');
  if (i >= 0 && (i === out.length - 1 || out[i + 1].startsWith('--'))) out.splice(i + 1, 0, DEFAULT_DASHBOARD);
  return out;
}

/** Resolves after `seconds`, or on Ctrl-C (or SIGTERM) when `seconds` is undefined. */
function linger(seconds: number | undefined): Promise<void> {
  if (seconds !== undefined) return new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

/** `hwnas search`: one search, embedded in this process by default, or on a cluster. */
export const searchCommand: Command = {
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs('search', withDashboardDefault(argv), {
      ...DATA_OPTION,
      space: { type: 'string' },
      dataset: { type: 'string' },
      strategy: { type: 'string' },
      budget: { type: 'string' },
      objective: { type: 'string', multiple: true },
      constraint: { type: 'string', multiple: true },
      reward: { type: 'string' },
      mode: { type: 'string', default: 'joint' },
      option: { type: 'string', multiple: true },
      seed: { type: 'string', default: '0' },
      parallelism: { type: 'string' },
      'max-failed': { type: 'string' },
      history: { type: 'boolean', default: false },
      explain: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      device: { type: 'string', multiple: true },
      watch: { type: 'boolean', default: false },
      'accuracy-source': { type: 'string' },
      dashboard: { type: 'string' },
      'dashboard-linger': { type: 'string' },
      trainer: { type: 'string' },
      epochs: { type: 'string' },
      scheduler: { type: 'string' },
      'min-epochs': { type: 'string' },
      eta: { type: 'string', default: '3' },
      'trainer-timeout': { type: 'string' },
      'work-root': { type: 'string' },
      curves: { type: 'boolean', default: false },
      // cost-screening: predicted device costs (search-cost-model.ts)
      'cost-model': { type: 'string' },
      'screen-z': { type: 'string' },
      'screen-conformal': { type: 'string' },
      nats: { type: 'string' },
      bucket: { type: 'string' },
      prefix: { type: 'string' },
      // one-shot searches (--strategy darts|na-darts|nas-ood): search-oneshot.ts
      'cost-weight': { type: 'string' },
      retrain: { type: 'string' },
      ...REMOTE_OPTIONS,
    });
    if (isOneShotStrategyName(values.strategy as string)) {
      const { runOneShotCommand } = await import('./search-oneshot.js');
      return runOneShotCommand(values.strategy as OneShotStrategyName, values, io);
    }
    if (values['cost-weight'] !== undefined || values.retrain !== undefined) throw new InvalidArgumentError(`hwnas search: --cost-weight and --retrain apply to one-shot searches (--strategy ${ONE_SHOT_STRATEGY_NAMES.join('|')})`);
    const space = getSpace(required('search', values, 'space'));
    const dataset = required('search', values, 'dataset');
    const strategy = required('search', values, 'strategy');
    getStrategyDefinition(strategy);
    const budget = intOption('search', 'budget', required('search', values, 'budget'), 1)!;
    const seed = intOption('search', 'seed', values.seed as string, -2147483648, 4294967295)!;
    // Unset: 1 embedded; against a coordinator, every live worker slot (max_in_flight 0).
    const parallelism = intOption('search', 'parallelism', values.parallelism as string | undefined, 1, 10_000) ?? (values.coordinator !== undefined ? 0 : 1);
    const maxFailed = intOption('search', 'max-failed', values['max-failed'] as string | undefined, 1, budget);
    const dashboardAt = values.dashboard as string | undefined;
    if (dashboardAt !== undefined) parseListen(dashboardAt, 'hwnas search: --dashboard');
    const lingerS = intOption('search', 'dashboard-linger', values['dashboard-linger'] as string | undefined, 0);
    if (lingerS !== undefined && dashboardAt === undefined) throw new InvalidArgumentError('hwnas search: --dashboard-linger needs --dashboard');
    if (dashboardAt !== undefined && values.coordinator !== undefined) throw new InvalidArgumentError('hwnas search: --dashboard serves an embedded search; a coordinator serves its own (coordinator --http HOST:PORT)');
    const mode = values.mode as string;
    if (mode !== 'joint' && mode !== 'cost-first') throw new InvalidArgumentError(`hwnas search: --mode must be joint or cost-first, got "${mode}"`);
    const options = parseOptions((values.option as string[] | undefined) ?? []);
    let objectives = (values.objective as string[] | undefined) ?? ['accuracy'];
    const sourceFlag = values['accuracy-source'] as string | undefined;
    if (sourceFlag !== undefined && sourceFlag !== 'table' && sourceFlag !== 'proxy') {
      throw new InvalidArgumentError(`hwnas search: --accuracy-source must be table or proxy, got "${sourceFlag}"`);
    }
    let accuracySource: 'table' | 'proxy' = (sourceFlag as 'table' | 'proxy' | undefined) ?? 'table';
    // The proxy needs no benchmark data: the space enumerates itself.
    const bench = values.coordinator === undefined ? Benchmark.open({ dataDir: values.data as string | undefined, allowNoData: sourceFlag === 'proxy' }) : undefined;
    const training = values.trainer !== undefined;
    if (training && values.coordinator !== undefined) {
      throw new InvalidArgumentError("hwnas search: with --coordinator the trainer command lives on the workers (hwnas-worker --trainer CMD); give --epochs (and --scheduler) to make the search train");
    }
    // Cluster trainer searches: --epochs (with --scheduler, --min-epochs, --eta) goes into the spec.
    const remoteTraining = values.coordinator !== undefined && values.epochs !== undefined ? trainingSettings(values) : undefined;
    const embeddedTraining = training ? trainingSettings(values) : undefined;
    // Embedded trainer searches whose scheduler promotes (sh, budget-sh): the search's loop decides each task's epochs.
    const specTraining = remoteTraining ?? (embeddedTraining && isPromotingRule(embeddedTraining.scheduler) ? embeddedTraining : undefined);
    if (bench && !training && sourceFlag === undefined && !bench.metrics(space, dataset).some((m) => m.name === 'accuracy')) {
      accuracySource = 'proxy';
      io.err(`hwnas search: note: no accuracy table for ${space.id} ${dataset} in ${bench.dataDir}; using the training-free NASWOT proxy (metric ${NASWOT_METRIC.name}) instead of accuracy`);
    }
    if (accuracySource === 'proxy') objectives = objectives.map((o) => o.replace(/^accuracy(?=$|:)/, NASWOT_METRIC.name));
    const constraints = (values.constraint as string[] | undefined) ?? [];
    const reward = values.reward ? parseReward(values.reward as string) : undefined;
    const devices = (values.device as string[] | undefined) ?? [];
    if ((values.nats !== undefined || values.bucket !== undefined) && values['cost-model'] === undefined) throw new InvalidArgumentError('hwnas search: --nats and --bucket go with --cost-model ID (a device calibrated with hwnas calibrate --nats)');
    if (values.prefix !== undefined && values.nats === undefined) throw new InvalidArgumentError("hwnas search: --prefix goes with --cost-model ID --nats URL (the subject prefix of the device's agent; a coordinator has its own)");
    const z = values['screen-z'] === undefined ? undefined : Number(values['screen-z']);
    if (z !== undefined && !(z >= 0)) throw new InvalidArgumentError(`hwnas search: --screen-z must be a non-negative number, got "${values['screen-z'] as string}"`);
    const conformal = values['screen-conformal'] === undefined ? undefined : Number(values['screen-conformal']);
    if (conformal !== undefined && !(conformal > 0 && conformal < 1)) throw new InvalidArgumentError(`hwnas search: --screen-conformal must be a coverage level between 0 and 1 (e.g. 0.95), got "${values['screen-conformal'] as string}"`);
    // On a cluster the coordinator screens with the model stored for the device (--cost-model ID [--bucket B]).
    const remoteCostModel = values['cost-model'] !== undefined && values.coordinator !== undefined ? (values['cost-model'] as string) : undefined;
    if (remoteCostModel !== undefined) {
      if (mode !== 'cost-first' || values.nats !== undefined) throw new InvalidArgumentError('hwnas search: --cost-model ID with --coordinator needs --mode cost-first (and no --nats: the coordinator reads the model from its own NATS)');
    } else if (values.bucket !== undefined && values.nats === undefined) throw new InvalidArgumentError('hwnas search: --bucket needs --nats (the server whose key-value bucket holds the calibration)');
    // cost-screening: a search on predicted device costs runs on its own driver.
    if (values['cost-model'] !== undefined && remoteCostModel === undefined) {
      // The proxy's forward passes are not on this driver: without an accuracy table (FBNet) the objectives must not need accuracy.
      const needsProxy = accuracySource === 'proxy' && [...objectives, ...constraints].some((o) => o.startsWith(NASWOT_METRIC.name));
      if (mode !== 'cost-first' || training || devices.length > 0 || reward || needsProxy) {
        throw new InvalidArgumentError('hwnas search: --cost-model needs --mode cost-first, the accuracy table (or no accuracy objective, e.g. --objective flops:max on FBNet), and no --trainer, --device or --reward');
      }
      const costModel = values['cost-model'] as string;
      const natsUrl = values.nats as string | undefined;
      const source = natsUrl === undefined ? { type: 'file' as const, file: path.resolve(costModel) } : { type: 'nats' as const, device: costModel, url: natsUrl, ...(values.prefix !== undefined ? { prefix: values.prefix as string } : {}), ...(values.bucket !== undefined ? { bucket: values.bucket as string } : {}) };
      const { runCostModelSearch } = await import('./search-cost-model.js');
      const result = await runCostModelSearch({ source, bench: bench!, space, dataset, strategy, strategyOptions: options, objectives, constraints, budget, seed, ...(z !== undefined ? { z } : {}), ...(conformal !== undefined ? { conformal } : {}), history: values.history as boolean });
      io.out(JSON.stringify(result, null, values.json ? undefined : 1));
      return 0;
    }
    const request = {
      space: space.id,
      dataset,
      strategy,
      strategyOptions: options,
      objectives,
      constraints,
      ...(reward ? { reward } : {}),
      mode: mode as 'joint' | 'cost-first',
      budget,
      maxInFlight: parallelism,
      seed,
      accuracySource,
      // The screened device measures what the model does not predict: it is one of the devices.
      devices: remoteCostModel !== undefined && !devices.includes(remoteCostModel) ? [...devices, remoteCostModel] : devices,
      ...(maxFailed !== undefined ? { maxFailed } : {}),
      ...(specTraining ? { training: specTraining } : {}),
      ...(remoteCostModel !== undefined
        ? { costModel: { device: remoteCostModel, z: z ?? DEFAULT_SCREEN_Z, ...(values.bucket !== undefined ? { bucket: values.bucket as string } : {}), ...(conformal !== undefined ? { conformal } : {}) } }
        : {}),
    };

    if (values.coordinator !== undefined) {
      // Loaded here: gRPC and the API's generated code are only needed for a cluster.
      const { remoteFailure, submitRemoteSearch } = await import('../remote/submit.js');
      const { searchId, search } = await submitRemoteSearch(remoteOptionsFrom(values), request, io, { watch: values.watch as boolean, json: values.json as boolean });
      const failure = search ? remoteFailure(search) : undefined;
      if (failure === undefined) return searchId ? 0 : 1;
      // What was found is printed all the same; the exit code says the search did not succeed.
      io.err(`hwnas search: the search failed: ${failure}`);
      return 1;
    }

    if (!bench) throw new InvalidArgumentError('hwnas search: no data directory');
    const backends = new InProcessDevices(bench);
    const proxy = createNaswotProxy();
    const journal = new InMemoryTrialJournal();
    const tableEvaluator = new TableTrialEvaluator(bench, backends, undefined, proxy);
    const curves = new Map<number, { epoch: number; metrics: Metrics }[]>();
    const trainer = embeddedTraining ? createTrainer(values, embeddedTraining, seed, io, curves) : undefined;
    const interrupt = () => trainer?.abortAll('interrupted');
    if (trainer) process.once('SIGINT', interrupt).once('SIGTERM', interrupt);
    const embedded = await startEmbedded({
      factory: createTableSearchFactory(bench, backends, proxy),
      evaluator: trainer ? new TrainedWithCostsEvaluator(trainer, tableEvaluator, admitByConstraints(constraints)) : tableEvaluator,
      concurrency: parallelism,
      journal,
      // Training takes as long as it takes; --trainer-timeout bounds each run instead.
      ...(trainer ? { taskTimeoutMs: 0 } : {}),
      // The one search of this process, journalled in memory: an id unique on this machine is
      // enough, and a random UUID would load node:crypto (36 modules, about 3 ms of the start).
      newId: () => `local-${process.pid}-${Date.now().toString(36)}`,
    });
    let dashboard: DashboardServer | undefined;
    const stopAll = async () => {
      await dashboard?.close();
      await embedded.stop();
      await backends.close();
    };
    let out: Printed & Record<string, unknown>;
    let problem: SearchProblem;
    let failed: string | undefined;
    try {
      if (dashboardAt !== undefined) {
        const source = new CoordinatorDashboardSource({
          coordinator: embedded.coordinator,
          journal,
          catalog: backends,
          listDevices: () => inProcessDeviceRows(embedded.coordinator, backends),
          metricInfo: (sp, ds) => bench.metrics(getSpace(sp), ds),
        });
        dashboard = await startDashboardServer({ source, listen: dashboardAt });
      }
      const id = await embedded.coordinator.submit({ ...request, ordering: 'ordered' });
      if (dashboard) io.err(`hwnas search: dashboard at ${dashboard.url}/searches/${id}`);
      const view = await embedded.coordinator.waitFor(id);
      if (view.state === 'failed') failed = view.finishReason ?? 'failed';
      problem = embedded.coordinator.problem(id);
      // Device costs are not in the tables: they come from the evaluation's own metrics.
      const describe = (arch: Arch, metrics?: Metrics): QueryResult => {
        const q = bench.query(space, dataset, arch);
        const measured = Object.fromEntries(Object.entries(metrics ?? {}).filter(([k]) => /_(latency|energy)$/.test(k) && !(k in q.costs)));
        const proxyScore = metrics?.[NASWOT_METRIC.name];
        // Trained accuracies replace the table's: they are what the search saw.
        const accuracy = trainer ? trainedAccuracy(metrics) : q.accuracy;
        return { ...q, accuracy, costs: { ...q.costs, ...measured }, ...(proxyScore !== undefined ? { [NASWOT_METRIC.name]: proxyScore } : {}) };
      };
      // The front is printed best-first along the first objective.
      const first = problem.objectives[0];
      const front = [...(view.pareto ?? [])].sort((a, b) => (first.direction === 'max' ? -1 : 1) * ((a.metrics?.[first.metric] ?? 0) - (b.metrics?.[first.metric] ?? 0)));
      const history: readonly EvaluatedArch[] = embedded.coordinator.history(id);
      out = {
        space: space.id,
        dataset,
        strategy,
        seed,
        mode,
        problem: { objectives: problem.objectives, constraints: problem.constraints, ...(problem.reward ? { reward: problem.reward } : {}) },
        ...(isPareto(problem) ? { pareto: front.map((e) => describe(e.arch, e.metrics)) } : { best: view.best ? describe(view.best.arch, view.best.metrics) : null }),
        ...(view.recommended ? { recommended: describe(view.recommended) } : {}),
        evaluations: view.counts.evaluationsDone,
        ...(trainer ? { stoppedEarly: history.filter((h) => stoppedEarly(h, embedded.coordinator.fateOf(id, h.trialId))).length } : {}),
        ...(values.curves ? { curves: Object.fromEntries([...curves].sort((a, b) => a[0] - b[0]).map(([t, c]) => [String(t), c.map((r) => ({ epoch: r.epoch, ...r.metrics }))])) } : {}),
        failed: view.counts.evaluationsFailed,
        costQueries: view.counts.costQueries,
        stop: view.finishReason ?? 'unknown',
        ...(values.explain ? { explain: embedded.coordinator.explain(id) } : {}),
        ...(values.history
          ? {
              history: history.map((h) => ({
                trial: h.trialId,
                need: h.need,
                arch: h.key,
                status: h.status,
                ...(h.metrics ? { metrics: h.metrics } : {}),
                ...(h.error ? { error: `${h.error.code}: ${h.error.message}` } : {}),
              })),
            }
          : {}),
      };
    } catch (e) {
      await stopAll();
      throw e;
    } finally {
      process.off('SIGINT', interrupt).off('SIGTERM', interrupt);
    }
    io.out(values.json ? JSON.stringify(out) : render(out, problem));
    if (dashboard) {
      io.err(lingerS === undefined ? `hwnas search: the dashboard stays at ${dashboard.url} until Ctrl-C` : `hwnas search: the dashboard stays at ${dashboard.url} for ${lingerS} s`);
      await linger(lingerS);
    }
    await stopAll();
    if (failed === undefined) return 0;
    // What was found is printed all the same; the exit code says the search did not succeed.
    io.err(`hwnas search: the search failed: ${failed}`);
    return 1;
  },
};

/**
 * The trainer evaluator of `--trainer` (with early stopping when `--scheduler` is given): logs
 * trainer output with the trial id on stderr and collects learning curves into `curves`.
 */
function createTrainer(
  values: Record<string, unknown>,
  training: TrainingSpec,
  seed: number,
  io: { err(t: string): void },
  curves: Map<number, { epoch: number; metrics: Metrics }[]>,
): ProcessTrainerEvaluator {
  const timeoutS = intOption('search', 'trainer-timeout', values['trainer-timeout'] as string | undefined, 1);
  // Stopping rules judge reports as the trainer runs; promoting ones (sh, budget-sh) are the search loop's.
  const stopper = createStopper(training);
  return new ProcessTrainerEvaluator({
    command: values.trainer as string,
    workRoot: path.resolve((values['work-root'] as string | undefined) ?? 'hwnas-work'),
    epochs: training.epochs,
    seed,
    ...(timeoutS !== undefined ? { timeoutMs: timeoutS * 1000 } : {}),
    log: (e) => io.err(`[trial ${e.trialId}] ${e.line}`),
    onReport: (r) => {
      let c = curves.get(r.trialId);
      if (!c) curves.set(r.trialId, (c = []));
      c.push({ epoch: r.epoch, metrics: r.metrics });
    },
    // Judged as the coordinator of a cluster judges reports (validation accuracy, else accuracy).
    ...(stopper ? { earlyStop: (r) => stopper.onReport(r.trialId, r.epoch, reportScore(r.metrics)) } : {}),
  });
}

/**
 * Whether a trainer search's trial was trained and stopped before full fidelity: by a stopping
 * rule (its metrics name the epoch), or not promoted by a promoting scheduler (its fate; one the
 * constraints kept from training has no trained accuracy and does not count).
 */
function stoppedEarly(h: EvaluatedArch, fate: TrialFate | undefined): boolean {
  return h.metrics?.[STOPPED_EPOCH_METRIC] !== undefined || (fate === 'stopped' && h.metrics?.accuracy !== undefined);
}

/** The training settings of `--epochs`, `--scheduler`, `--min-epochs` and `--eta` (embedded or submitted to a coordinator). */
function trainingSettings(values: Record<string, unknown>): TrainingSpec {
  const epochs = intOption('search', 'epochs', required('search', values, 'epochs'), 1)!;
  const minEpochs = intOption('search', 'min-epochs', values['min-epochs'] as string | undefined, 1, epochs);
  const eta = Number(values.eta);
  if (!(eta > 1)) throw new InvalidArgumentError(`hwnas search: --eta must be a number greater than 1, got "${values.eta as string}"`);
  const scheduler = (values.scheduler as string | undefined) ?? 'none';
  if (!(EARLY_STOPPING_RULES as readonly string[]).includes(scheduler)) {
    throw new InvalidArgumentError(`hwnas search: --scheduler must be one of ${EARLY_STOPPING_RULES.filter((r) => r !== 'none').join(', ')}, got "${scheduler}"`);
  }
  return { epochs, scheduler: scheduler as EarlyStoppingRule, ...(minEpochs !== undefined ? { minEpochs } : {}), eta };
}

/**
 * Whether an architecture's looked-up costs allow training it: every constraint on a metric the
 * costs hold is met. An infeasible architecture could never be the answer, so it is not trained.
 */
function admitByConstraints(constraints: readonly string[]): (costs: Metrics) => boolean {
  const bounds = constraints.map(parseConstraint);
  return (costs) => bounds.every((c) => costs[c.metric] === undefined || costs[c.metric] <= c.bound);
}

/** A trained evaluation's accuracies in the layout of the tables' (`test`, `valid`). */
function trainedAccuracy(metrics: Metrics | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (metrics?.accuracy !== undefined) out.test = metrics.accuracy;
  if (metrics?.valid_accuracy !== undefined) out.valid = metrics.valid_accuracy;
  return out;
}

/** `KEY=VALUE` strategy options (values stay text; the registry converts them by type). */
function parseOptions(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const m = /^([A-Za-z][A-Za-z0-9_]*)=(.*)$/.exec(item);
    if (!m) throw new InvalidArgumentError(`hwnas search: --option must look like KEY=VALUE, got "${item}"`);
    out[m[1]] = m[2];
  }
  return out;
}

/** `COST:TARGET[:EXPONENT]`. */
function parseReward(text: string): { cost: string; targetCost: number; exponent?: number } {
  const m = /^([A-Za-z0-9_.-]+):([^:]+)(?::([^:]+))?$/.exec(text);
  const target = m ? Number(m[2]) : NaN;
  const exponent = m?.[3] !== undefined ? Number(m[3]) : undefined;
  if (!m || !Number.isFinite(target) || (exponent !== undefined && !Number.isFinite(exponent))) {
    throw new InvalidArgumentError(`hwnas search: --reward must look like COST:TARGET[:EXPONENT], e.g. raspi4_latency:15.72:-0.07, got "${text}"`);
  }
  return { cost: m[1], targetCost: target, ...(exponent !== undefined ? { exponent } : {}) };
}

interface Printed {
  readonly strategy: string;
  readonly best?: QueryResult | null;
  readonly pareto?: readonly QueryResult[];
  readonly recommended?: QueryResult;
  readonly evaluations: number;
  readonly failed?: number;
  readonly costQueries: number;
  readonly stop: string;
  readonly explain?: readonly PredictorExplanation[];
  readonly stoppedEarly?: number;
  readonly curves?: Readonly<Record<string, readonly ({ epoch: number } & Metrics)[]>>;
}

function render(out: Printed, problem: SearchProblem): string {
  const lines: string[] = [];
  // The proxy score rides along on the result (see describe in run).
  const proxyScore = (q: QueryResult) => (q as QueryResult & { readonly [NASWOT_METRIC.name]?: number })[NASWOT_METRIC.name];
  const metricsOf = (q: QueryResult): Metrics => ({ ...q.costs, accuracy: q.accuracy.test, valid_accuracy: q.accuracy.valid, flops: q.flops, params: q.params, [NASWOT_METRIC.name]: proxyScore(q) as number });
  const cols = [...new Set([...problem.objectives.map((o) => o.metric), ...problem.constraints.map((c) => c.metric)])];
  const row = (label: string, q: QueryResult) => [label, q.index !== undefined ? String(q.index) : '-', ...cols.map((c) => fmt(metricsOf(q)[c])), q.arch];
  const header = ['', 'index', ...cols, 'arch'];
  if (out.pareto) {
    lines.push(`Pareto front (${out.pareto.length} architectures):`);
    lines.push(renderTable([header, ...out.pareto.map((q, k) => row(String(k + 1), q))]));
  } else if (out.best) {
    lines.push(renderTable([header, row('best', out.best), ...(out.recommended ? [row(`${out.strategy} pick`, out.recommended)] : [])]));
  } else {
    lines.push('no feasible architecture was evaluated');
  }
  lines.push('', `evaluations: ${out.evaluations}${out.failed ? ` (${out.failed} failed)` : ''}${out.stoppedEarly !== undefined ? ` (${out.stoppedEarly} stopped early)` : ''}   cost queries: ${out.costQueries}   stopped: ${out.stop}`);
  if (out.curves) {
    lines.push('', 'learning curves (epoch:valid_accuracy, or accuracy):');
    for (const [trial, points] of Object.entries(out.curves)) lines.push(`  trial ${trial}: ${points.map((p) => `${p.epoch}:${fmt(p.valid_accuracy ?? p.accuracy)}`).join(' ')}`);
  }
  for (const e of out.explain ?? []) {
    lines.push('', `predictor of ${e.metric}: ${e.samples} samples, R^2 ${fmt(e.r2, 3)}, intercept ${fmt(e.intercept)}`);
    lines.push(renderTable([['term', 'weight'], ...e.coefficients.slice(0, 20).map((c) => [c.term, fmt(c.weight)])]));
    if (e.coefficients.length > 20) lines.push(`(${e.coefficients.length - 20} more terms; --json prints them all)`);
  }
  return lines.join('\n');
}
