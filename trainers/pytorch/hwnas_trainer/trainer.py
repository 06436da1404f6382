"""One training run of hwnas.trainer/v1: build, resume, train epoch by epoch, report, checkpoint."""

import math
import os
import random
import signal
import time

import numpy as np
import torch
from torch import nn

from .checkpoint import load_checkpoint, save_checkpoint
from .data import augment, load_dataset
from .errors import DataError, InvalidArchitectureError, TrainerError
from .ir import build_ir, check_encoding, format_arch, parse_arch
from .lifeline import WorkDirGuard
from .model import IRNetwork
from .protocol import check_finite, emit, log
from .tracing import TrainSpan

EVAL_BATCH_SIZE = 500
# Exit status after SIGTERM/SIGINT, as a shell reports a process killed by SIGTERM.
EXIT_TERMINATED = 143
# How long a retry waits for an earlier trainer of the same trial to release the work dir.
WORK_DIR_WAIT_SECONDS = 60


class Terminated(Exception):
    """SIGTERM or SIGINT arrived; the last complete checkpoint stays in the work dir."""


class StopFlag:
    """Turns SIGTERM/SIGINT into a flag the loop polls between batches, so a checkpoint write always completes."""

    def __init__(self):
        self.signal = None

    def install(self):
        """Installs the handlers; returns a function that puts the previous ones back."""
        previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGTERM, signal.SIGINT)}
        return lambda: [signal.signal(sig, handler) for sig, handler in previous.items()]

    def _handle(self, signum, _frame):
        self.signal = signal.Signals(signum).name

    def check(self, where):
        if self.signal is not None:
            raise Terminated(f"{self.signal} received {where}")


def cosine_lr(base_lr, progress_epochs, horizon_epochs):
    """NAS-Bench-201's cosine annealing to 0, evaluated per iteration at a fractional epoch."""
    return 0.5 * base_lr * (1 + math.cos(math.pi * min(progress_epochs, horizon_epochs) / horizon_epochs))


def resolve_ir(s):
    """The network IR to build: the trial's, or one generated from the architecture (see README)."""
    arch = None
    if s.arch_string is not None:
        arch = parse_arch(s.space, s.arch_string)
    if s.encoding is not None:
        enc = check_encoding(s.space, s.encoding)
        if arch is not None and enc != arch:
            raise InvalidArchitectureError(f'arch string "{s.arch_string}" and encoding {s.encoding} disagree')
        arch = enc
    canonical = format_arch(s.space, arch)
    if s.ir is not None and s.width is None and s.cells is None:
        if s.ir.get("arch") != canonical or s.ir.get("space") != s.space or s.ir.get("dataset") != s.dataset:
            raise InvalidArchitectureError(f'the trial IR describes {s.ir.get("space")} "{s.ir.get("arch")}" on '
                                           f'{s.ir.get("dataset")}, not the trial\'s {s.space} "{canonical}" on {s.dataset}')
        return s.ir, canonical, "trial IR"
    return build_ir(s.space, arch, s.dataset, s.width, s.cells), canonical, "architecture string"


def pick_device(choice):
    if choice == "cuda" and not torch.cuda.is_available():
        raise TrainerError("--device cuda: CUDA is not available")
    return torch.device("cuda" if choice != "cpu" and torch.cuda.is_available() else "cpu")


def rng_state(data_gen, device):
    state = {"torch": torch.get_rng_state(), "data": data_gen.get_state(), "python": random.getstate(),
             "numpy": np.random.get_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state, data_gen, device):
    torch.set_rng_state(state["torch"])
    data_gen.set_state(state["data"])
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state_all(state["cuda"])


def evaluate(model, data, split, device):
    """Top-1 accuracy in percent of `split`."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(split), EVAL_BATCH_SIZE):
            x = data.normalise(split.x[i:i + EVAL_BATCH_SIZE]).to(device)
            correct += int((model(x).argmax(1).cpu() == split.y[i:i + EVAL_BATCH_SIZE]).sum())
    return 100.0 * correct / len(split)


def train_epoch(model, optimizer, data, gen, s, epoch, horizon, device, stop):
    """One epoch of SGD; returns the mean training loss."""
    model.train()
    criterion = nn.CrossEntropyLoss()
    n = len(data.train)
    order = torch.randperm(n, generator=gen)
    iters = math.ceil(n / s.batch_size)
    total_loss = 0.0
    for it in range(iters):
        stop.check(f"during epoch {epoch + 1}")
        lr = cosine_lr(s.lr, epoch + it / iters, horizon)
        for group in optimizer.param_groups:
            group["lr"] = lr
        idx = order[it * s.batch_size:(it + 1) * s.batch_size]
        x = data.normalise(augment(data.train.x[idx], gen)).to(device)
        y = data.train.y[idx].to(device)
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        total_loss += float(loss.detach()) * len(idx)
    return total_loss / n


def run(s, environ=None):
    """Trains per settings `s`, writing the protocol to stdout; returns the exit status.

    `environ` (default os.environ) names the trace parent and the OTLP endpoint of the run's span.
    """
    stop = StopFlag()
    restore_signals = stop.install()
    span = TrainSpan(os.environ if environ is None else environ)
    span.set(**{"hwnas.label": s.label, "hwnas.space": s.space, "hwnas.dataset": s.dataset, "hwnas.epochs": s.epochs,
                "hwnas.seed": s.seed})
    code, error = None, None
    try:
        code = _run(s, stop, span)
        return code
    except BaseException as e:
        error = f"{type(e).__name__}: {e}"
        raise
    finally:
        restore_signals()
        if error is None and code:
            error = f"exit status {code}"
        span.end(error)


def _run(s, stop, span):
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
    if s.threads is not None:
        torch.set_num_threads(s.threads)
    device = pick_device(s.device)
    os.makedirs(s.work_dir, exist_ok=True)
    guard = WorkDirGuard(s.work_dir)
    try:
        guard.acquire(WORK_DIR_WAIT_SECONDS, lambda: stop.check("while waiting for the work dir"))
    except Terminated as e:
        log(f"{e}; exiting before training")
        return EXIT_TERMINATED
    if s.lifeline:
        guard.watch_stdin()
    try:
        return _train(s, stop, span, guard, device)
    finally:
        guard.release()


def _train(s, stop, span, guard, device):
    """The run proper, with the work dir locked: build, resume, train, report, checkpoint."""
    ir, canonical, ir_source = resolve_ir(s)
    data = load_dataset(s.data, s.valid_fraction, s.split_seed)
    c, h, w = ir["input"]["c"], ir["input"]["h"], ir["input"]["w"]
    if data.image_shape != (c, h, w):
        raise DataError(f"{data.source}: images are {data.image_shape} (C, H, W) but the {s.space} network for "
                        f"{s.dataset} takes {(c, h, w)}")
    if data.num_labels > ir["numClasses"]:
        raise DataError(f"{data.source}: labels go up to {data.num_labels - 1} but the {s.space} network for "
                        f"{s.dataset} has {ir['numClasses']} classes")

    # Fixed horizon: part of the configuration a checkpoint must match. Fidelity horizon: follows the trial.
    horizon = s.schedule_epochs or s.epochs
    config = {"space": s.space, "arch": canonical, "dataset": s.dataset, "ir_layers": len(ir["layers"]),
              "seed": s.seed, "batch_size": s.batch_size, "lr": s.lr, "momentum": s.momentum,
              "weight_decay": s.weight_decay, "nesterov": s.nesterov, "schedule_epochs": s.schedule_epochs,
              "valid_fraction": s.valid_fraction, "split_seed": s.split_seed,
              "train_images": len(data.train), "valid_images": len(data.valid)}

    torch.manual_seed(s.seed)
    random.seed(s.seed)
    np.random.seed(s.seed % 2**32)
    span.set(**{"hwnas.arch": canonical})
    model = IRNetwork(ir).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=s.lr, momentum=s.momentum, weight_decay=s.weight_decay,
                                nesterov=s.nesterov)
    data_gen = torch.Generator().manual_seed(s.seed)
    params = sum(p.numel() for p in model.parameters())
    log(f"{s.label}: {s.space} {canonical} on {s.dataset} (from the {ir_source}), {params} parameters, {device}; "
        f"data {data.source}: {len(data.train)} train / {len(data.valid)} valid"
        + (" (the test split)" if data.valid_is_test else "") + f"; target {s.epochs} epochs, cosine over {horizon}"
        # The trace context is logged so the log lines of this run can be found from the search's trace.
        + (f"; trace parent {s.traceparent}" if s.traceparent else ""))

    start = 0
    history = []
    state = load_checkpoint(s.work_dir, config)
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        set_rng_state(state["rng"], data_gen, device)
        start, history = state["epoch"], state["history"]
        emit("resumed", start)
        span.set(**{"hwnas.resumed_epoch": start})
        span.event("trainer.resumed", **{"hwnas.epoch": start})
        log(f"resumed from the checkpoint of epoch {start} in {s.work_dir}")

    if start >= s.epochs:
        # Trained further before (a retry at a lower fidelity): report the metrics measured at the epoch asked for.
        if start > s.epochs:
            log(f"the checkpoint is at epoch {start}, past the {s.epochs} asked for; reporting epoch {s.epochs}'s metrics")
        emit("final", s.epochs, final_metrics(history[s.epochs - 1]))
        return 0

    try:
        for epoch in range(start, s.epochs):
            t0, cpu0 = time.monotonic(), time.process_time()
            train_loss = train_epoch(model, optimizer, data, data_gen, s, epoch, horizon, device, stop)
            metrics = {"valid_accuracy": evaluate(model, data, data.valid, device), "train_loss": train_loss}
            if data.test is not None and not data.valid_is_test:
                metrics["test_accuracy"] = evaluate(model, data, data.test, device)
            seconds, cpu_seconds = time.monotonic() - t0, time.process_time() - cpu0
            check_finite(metrics, epoch + 1)
            history.append(metrics)
            # Checkpoint before reporting: a scheduler that stops the trial on this report (SIGTERM) finds
            # epoch k on disk, and a later promotion continues from it.
            with guard.writing():
                save_checkpoint(s.work_dir, {"config": config, "epoch": epoch + 1, "model": model.state_dict(),
                                             "optimizer": optimizer.state_dict(), "rng": rng_state(data_gen, device),
                                             "history": history})
            emit("report", epoch + 1, metrics)
            span.event("trainer.epoch", **{"hwnas.epoch": epoch + 1, **{f"hwnas.metric.{k}": float(v) for k, v in metrics.items()}})
            log(f"epoch {epoch + 1}/{s.epochs}: train_loss {train_loss:.4f}, valid_accuracy "
                f"{metrics['valid_accuracy']:.2f}%, {seconds:.2f} s wall, {cpu_seconds:.2f} s CPU; checkpoint written")
            stop.check(f"after the checkpoint of epoch {epoch + 1}")
    except Terminated as e:
        done = len(history)
        log(f"{e}; exiting, the checkpoint of epoch {done} stays in {s.work_dir}" if done
            else f"{e}; exiting before the first checkpoint")
        return EXIT_TERMINATED
    emit("final", s.epochs, final_metrics(history[-1]))
    return 0


def final_metrics(metrics):
    """The final report: `accuracy` (the search objective) is the validation accuracy."""
    return dict({"accuracy": metrics["valid_accuracy"]}, **metrics)
