"""Data-parallel training with two workers on one machine, checked against one process.

    python examples/two_workers.py                     # 20 steps, global batch 64
    python examples/two_workers.py --steps 5 --global-batch 32
    python examples/two_workers.py --reference-learning-rate 0.04   # see the check fail

``tf.distribute.MultiWorkerMirroredStrategy`` is how TensorFlow trains one network on several
machines: every worker holds a full copy of the weights, computes the gradient on its share of
each batch, and the workers add their gradients together (an all-reduce over the network) before
every one applies the same update, so the copies never drift apart. This script runs that for
real, with two worker processes on this machine in place of two machines:

1. It starts two copies of itself (``--worker-index 0`` and ``1``). Each reads the cluster from
   its own ``TF_CONFIG`` environment variable, ``{"cluster": {"worker": ["localhost:P0",
   "localhost:P1"]}, "task": {"type": "worker", "index": i}}``, with two free ports.
2. Each worker builds the course CNN (``utils.build_seed_cnn``) and a plain SGD optimizer
   inside ``strategy.scope()``, and trains ``--steps`` steps. Every global batch of
   ``--global-batch`` MNIST images is split in two: worker ``i`` reads the examples
   ``i, i + 2, i + 4, ...`` of a fixed order (``Dataset.shard``), so that step ``k`` sees the
   same examples as in one process. Each worker divides the sum of its sparse categorical
   cross-entropies by the *global* batch size, ``strategy.reduce`` adds the two workers'
   gradients (the all-reduce), and each worker applies that sum: the update of the mean loss
   over the global batch.
3. A third process trains the same network from the same initial weights (the same seed) on
   the same global batches, as chapter 6 does: compiled with SGD and
   ``"sparse_categorical_crossentropy"``, one ``train_on_batch`` per step, no strategy.
4. It compares the runs: the loss of every step and every weight must agree to within float32
   round-off (the runs add the same numbers in a different order), and it says so.

The workers run their own training step (``strategy.run`` in a ``tf.function``) because Keras
3's ``model.fit`` does not work under ``MultiWorkerMirroredStrategy`` yet (keras-team/keras
issue 20585; it does under ``MirroredStrategy``, one machine with several GPUs). The network is
built with ``dropout=0``: dropout draws random masks, which the two runs would not draw alike,
and the check needs both runs to compute the same function. The strategy itself makes the
workers start alike: worker 0 sends its initial weights to the others. The exit status is 0
when the runs agree, 1 when they do not, 2 for bad arguments and 3 when a process fails or the
run takes longer than ``--timeout`` seconds (the end of its output is shown).

What changes on a real cluster: ``TF_CONFIG`` holds the machines' host names
(``["node-0.example.org:12345", "node-1.example.org:12345"]``) and each machine runs the same
script with its own ``"index"``, started by the cluster's scheduler instead of a parent
process; each worker reads its own files of the data set (``Dataset.shard`` over the file
names) rather than every other example of one array; a worker that fails stops the whole job,
which resumes from its last checkpoint (``keras.callbacks.BackupAndRestore`` does that for
``model.fit``, ``tf.train.CheckpointManager`` for a loop like this one); and although every
worker takes part in saving, only the chief's (worker 0's) checkpoints and saved model are
kept, the others writing to temporary folders. Here the workers use the CPU, so that they do
not share one GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NUM_WORKERS = 2
MNIST_TRAINING_IMAGES = 60_000
TOLERANCE = 1e-5
"""Largest absolute difference allowed between the two runs, for losses and for weights.

float32 keeps 24 bits: one rounding is off by up to 6e-8 of the value, 1.2e-7 for a loss near
2.3 and under 1e-8 for a weight under 0.2. The runs add the same products in another order (two
half-batch sums, against one full-batch sum), so they differ by a few such roundings, which the
later steps carry along: on the course CNN, 20 steps differ by at most 2.4e-7 in a loss and
2.2e-8 in a weight (TensorFlow 2.16 and 2.21, on a CPU). 1e-5 leaves a margin of 40 and more
over that, while a real disagreement is far larger from the second step on: 7e-4 for a learning
rate of 0.04 instead of 0.05, 1e-2 when the workers' gradients are not added up."""

REPO = Path(__file__).resolve().parents[1]
EXIT_GRACE = 5.0
"""Seconds a child may take to exit after saving its results before it is stopped."""


def _whole_number(text: str, minimum: int = 0) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
    return value


def _positive_int(text: str) -> int:
    return _whole_number(text, minimum=1)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Train the course CNN with MultiWorkerMirroredStrategy on two local workers "
        "and check the result against a single process.",
    )
    parser.add_argument("--steps", type=_positive_int, default=20, help="training steps (20)")
    parser.add_argument(
        "--global-batch",
        type=_positive_int,
        default=64,
        help=f"images per step, over all workers; a multiple of {NUM_WORKERS} (64)",
    )
    parser.add_argument(
        "--learning-rate", type=_positive_float, default=0.05, help="SGD learning rate (0.05)"
    )
    parser.add_argument(
        "--reference-learning-rate",
        type=_positive_float,
        default=None,
        help="learning rate of the single-process run only (default: --learning-rate); "
        "another value shows what a disagreement looks like",
    )
    parser.add_argument(
        "--seed", type=_whole_number, default=0, help="seed of the weights and the order (0)"
    )
    parser.add_argument(
        "--timeout",
        type=_positive_float,
        default=300.0,
        help="seconds before every process is stopped (300)",
    )
    # Internal: the role of a child process, and where it writes its results.
    parser.add_argument(
        "--worker-index", type=int, choices=range(NUM_WORKERS), help=argparse.SUPPRESS
    )
    parser.add_argument("--reference", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.global_batch % NUM_WORKERS:
        lower = args.global_batch - args.global_batch % NUM_WORKERS
        choices = " or ".join(str(b) for b in (lower, lower + NUM_WORKERS) if b > 0)
        parser.error(
            f"--global-batch must be a multiple of the {NUM_WORKERS} workers, so that each gets "
            f"the same share; got {args.global_batch}, use {choices}"
        )
    examples = args.steps * args.global_batch
    if examples > MNIST_TRAINING_IMAGES:
        parser.error(
            f"--steps x --global-batch = {examples:,} images, but MNIST has "
            f"{MNIST_TRAINING_IMAGES:,} training images (each is used once): lower one of them"
        )
    if args.reference_learning_rate is None:
        args.reference_learning_rate = args.learning_rate
    return args


# --- The training, in each child process ----------------------------------------------------------


def training_examples(count: int, seed: int):
    """The first ``count`` MNIST training images of a fixed shuffle, and their labels."""
    from utils import load_mnist, prepare_images

    (x_train, y_train), _ = load_mnist()
    order = np.random.default_rng(seed).permutation(len(x_train))[:count]
    return prepare_images(x_train[order]), y_train[order].astype(np.int32)


def named_weights(model) -> dict[str, np.ndarray]:
    """``{"conv1/kernel": array, ...}``: the model's weights under stable names."""
    return {
        f"{layer.name}/{variable.name}": np.asarray(variable.numpy())
        for layer in model.layers
        for variable in layer.weights
    }


def _quiet_tensorflow():
    """Import TensorFlow and Keras, one thread per operation (the processes share two cores)."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(2)
    import keras

    return tf, keras


def train_on_workers(args: argparse.Namespace) -> dict:
    """One worker of the cluster in ``TF_CONFIG``: its share of every step, with the others."""
    tf, keras = _quiet_tensorflow()
    from utils import build_seed_cnn

    global_batch = args.global_batch
    x, y = training_examples(args.steps * global_batch, args.seed)
    # Reads TF_CONFIG, starts this worker's server and waits until every worker is up.
    strategy = tf.distribute.MultiWorkerMirroredStrategy()

    def dataset_fn(input_context: tf.distribute.InputContext) -> tf.data.Dataset:
        # Called on each worker: its share of every global batch. Worker i keeps the examples
        # i, i + 2, i + 4, ... of the fixed order, so that global batch k is the examples
        # k * B .. (k + 1) * B - 1 of that order, as in the single process.
        per_replica = input_context.get_per_replica_batch_size(global_batch)
        dataset = tf.data.Dataset.from_tensor_slices((x, y))
        dataset = dataset.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
        return dataset.batch(per_replica, drop_remainder=True)

    # distribute_datasets_from_function does no sharding of its own (no autoshard policy
    # applies): what dataset_fn returns is what this worker reads.
    batches = iter(strategy.distribute_datasets_from_function(dataset_fn))

    keras.utils.set_random_seed(args.seed)
    with strategy.scope():
        # Variables made here are mirrored: one copy per worker, initialised by worker 0's values.
        model = build_seed_cnn(dropout=0.0)  # no random masks: both runs compute one function
        optimizer = keras.optimizers.SGD(learning_rate=args.learning_rate)
        optimizer.build(model.trainable_variables)
    initial = named_weights(model)

    def worker_share(images, labels):
        # This worker's share of the step: the loss and the gradient on its B / 2 examples.
        with tf.GradientTape() as tape:
            probabilities = model(images, training=True)
            per_example = keras.losses.sparse_categorical_crossentropy(labels, probabilities)
            # Divided by the GLOBAL batch size B, not by B / 2: the workers' losses, and their
            # gradients, then add up to those of the mean loss over the global batch.
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)
        return loss, tape.gradient(loss, model.trainable_variables)

    @tf.function
    def step(batch):
        losses, gradients = strategy.run(worker_share, args=batch)
        # The all-reduce: every worker receives the sum over the workers, of the gradients
        # and of the losses. (Keras 3.0's optimizer does not add the gradients up by
        # itself, and newer ones do it only when called inside strategy.run: adding them up
        # here, outside it, is right with every version.)
        gradients = [strategy.reduce("SUM", gradient, axis=None) for gradient in gradients]
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        return strategy.reduce("SUM", losses, axis=None)

    losses = [float(step(next(batches))) for _ in range(args.steps)]
    return {"losses": losses, "initial": initial, "final": named_weights(model)}


def train_in_one_process(args: argparse.Namespace) -> dict:
    """The same steps in one process, as chapter 6 trains: a compiled model, no strategy."""
    tf, keras = _quiet_tensorflow()
    from utils import build_seed_cnn

    global_batch = args.global_batch
    x, y = training_examples(args.steps * global_batch, args.seed)
    keras.utils.set_random_seed(args.seed)
    model = build_seed_cnn(dropout=0.0)
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=args.reference_learning_rate),
        loss="sparse_categorical_crossentropy",
    )
    initial = named_weights(model)
    losses = []
    for k in range(args.steps):
        batch = slice(k * global_batch, (k + 1) * global_batch)
        # Keras' own training step (the one fit runs); its loss is the mean over the batch.
        # Keras 3.0 averages the loss over the calls instead: reset it, to get this step's.
        model.reset_metrics()
        logs = model.train_on_batch(x[batch], y[batch], return_dict=True)
        losses.append(float(logs["loss"]))
    return {"losses": losses, "initial": initial, "final": named_weights(model)}


def save_run(path: Path, run: dict) -> None:
    """Write the run's losses and weights to ``path`` at once (the parent waits for the file)."""
    partial = path.with_name(path.name + ".partial.npz")
    np.savez(
        partial,
        losses=np.array(run["losses"], dtype=np.float64),
        **{f"initial:{name}": value for name, value in run["initial"].items()},
        **{f"final:{name}": value for name, value in run["final"].items()},
    )
    os.replace(partial, path)


# --- Comparing the runs ---------------------------------------------------------------------------


def max_difference(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> tuple[float, str]:
    """The largest absolute difference between two sets of named arrays, and where it is.

    >>> max_difference({"w": np.array([1.0, 2.0])}, {"w": np.array([1.0, 2.5])})
    (0.5, 'w')
    """
    if a.keys() != b.keys():
        raise ValueError(f"the runs have different weights: {sorted(a)} against {sorted(b)}")
    worst, where = 0.0, ""
    for name in a:
        if a[name].shape != b[name].shape:
            raise ValueError(f"{name}: shape {a[name].shape} against {b[name].shape}")
        difference = float(np.max(np.abs(a[name].astype(np.float64) - b[name]), initial=0.0))
        if difference > worst or not where:
            worst, where = difference, name
    return worst, where


def load_run(path: Path) -> dict:
    with np.load(path) as data:
        arrays = {key: data[key] for key in data.files}
    return {
        "losses": arrays.pop("losses"),
        "initial": {k.split(":", 1)[1]: v for k, v in arrays.items() if k.startswith("initial:")},
        "final": {k.split(":", 1)[1]: v for k, v in arrays.items() if k.startswith("final:")},
    }


def compare(workers: list[dict], single: dict, tolerance: float = TOLERANCE) -> dict:
    """How far the runs are apart, and whether every difference is within ``tolerance``.

    ``start``: initial weights, worker 0 against the single process; ``copies``: the weights of
    every other worker against worker 0's, initial and final (the strategy keeps them equal);
    ``loss``: the largest difference of a step's loss; ``weights`` (at ``where``): of a final
    weight, worker 0 against the single process.
    """
    chief = workers[0]
    if len(chief["losses"]) != len(single["losses"]):
        raise ValueError(f"the runs made {len(chief['losses'])} and {len(single['losses'])} steps")
    weights, where = max_difference(chief["final"], single["final"])
    result = {
        "start": max_difference(chief["initial"], single["initial"])[0],
        "copies": max(
            max(max_difference(chief[kind], other[kind])[0] for kind in ("initial", "final"))
            for other in workers[1:]
        ),
        "loss": float(np.max(np.abs(np.subtract(chief["losses"], single["losses"])))),
        "weights": weights,
        "where": where,
    }
    result["agree"] = all(
        result[key] <= tolerance for key in ("start", "copies", "loss", "weights")
    )
    return result


# --- Running the processes ------------------------------------------------------------------------


def free_ports(count: int) -> list[int]:
    """Ports that nothing listens on now: the system picks them when we bind to port 0."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("localhost", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def child_environment(tf_config: dict | None) -> dict[str, str]:
    """This process's environment, with the child's own ``TF_CONFIG`` (or none)."""
    env = dict(os.environ)
    env.pop("TF_CONFIG", None)
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # no C++ info and warning lines
    env["CUDA_VISIBLE_DEVICES"] = "-1"  # CPU only: the workers would share one GPU otherwise
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


@dataclass
class Job:
    """A child process: what it runs, where it writes its results and its log."""

    name: str
    command: list[str]
    env: dict[str, str]
    result: Path
    log: Path
    process: subprocess.Popen | None = None
    saved_at: float | None = None

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace").rstrip() if self.log.exists() else ""
        return "\n".join("    " + line for line in text.splitlines()[-lines:]) or "    (empty)"


class RunFailed(Exception):
    pass


def run_jobs(jobs: list[Job], timeout: float) -> list[str]:
    """Run the jobs side by side until each has saved its results; stop all if one fails.

    A job is done when it has exited with status 0 after saving its results, or when it is
    still running ``EXIT_GRACE`` seconds after saving them: TensorFlow's coordination service
    sometimes keeps a worker waiting at exit for the heartbeats of a peer that has already
    left (about 10 s); such a job is stopped, and the returned notes say so.
    """
    notes = []
    logs = []
    try:
        for job in jobs:
            logs.append(open(job.log, "w"))
            job.process = subprocess.Popen(
                job.command, env=job.env, stdout=logs[-1], stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            pending = []
            for job in jobs:
                code = job.process.poll()
                if job.saved_at is None and job.result.exists():
                    job.saved_at = now
                if code not in (None, 0):
                    how = f"was killed by signal {-code}" if code < 0 else f"exited with {code}"
                    raise RunFailed(
                        f"{job.name} {how}; the others were stopped. "
                        f"Its output ends with:\n{job.log_tail()}"
                    )
                if code == 0 and job.saved_at is None:
                    raise RunFailed(f"{job.name} exited without saving its results")
                if code is None and (job.saved_at is None or now - job.saved_at < EXIT_GRACE):
                    pending.append(job)
            if not pending:
                for job in jobs:
                    if job.process.poll() is None:
                        notes.append(
                            f"{job.name} had saved its results but not exited after "
                            f"{EXIT_GRACE:.0f} s (TensorFlow was still shutting down); "
                            "it was stopped"
                        )
                return notes
            if now > deadline:
                tails = "\n".join(f"  {job.name}:\n{job.log_tail(10)}" for job in pending)
                raise RunFailed(
                    f"timed out after {timeout:g} s (--timeout); still running: "
                    f"{', '.join(job.name for job in pending)}. Their output ends with:\n{tails}"
                )
            time.sleep(0.1)
    finally:
        for job in jobs:
            if job.process is not None:
                if job.process.poll() is None:
                    job.process.kill()
                job.process.wait()
        for log in logs:
            log.close()


def orchestrate(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    ports = free_ports(NUM_WORKERS)
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    shared = [
        f"--steps={args.steps}",
        f"--global-batch={args.global_batch}",
        f"--learning-rate={args.learning_rate!r}",
        f"--reference-learning-rate={args.reference_learning_rate!r}",
        f"--seed={args.seed}",
    ]
    script = [sys.executable, str(Path(__file__).resolve()), *shared]
    with tempfile.TemporaryDirectory(prefix="two_workers_") as folder:
        out = Path(folder)
        jobs = [
            Job(
                name=f"worker {i}",
                command=[*script, f"--worker-index={i}", f"--out={out / f'worker{i}.npz'}"],
                env=child_environment({"cluster": cluster, "task": {"type": "worker", "index": i}}),
                result=out / f"worker{i}.npz",
                log=out / f"worker{i}.log",
            )
            for i in range(NUM_WORKERS)
        ]
        # The single-process run needs nothing from the workers: it runs beside them.
        jobs.append(
            Job(
                name="the single process",
                command=[*script, "--reference", f"--out={out / 'single.npz'}"],
                env=child_environment(None),
                result=out / "single.npz",
                log=out / "single.log",
            )
        )
        print(f"Cluster: {json.dumps(cluster)}. Training on the two workers and in one process...")
        try:
            notes = run_jobs(jobs, args.timeout)
        except RunFailed as error:
            print(f"FAILED: {error}", file=sys.stderr)
            return 3
        workers = [load_run(job.result) for job in jobs[:NUM_WORKERS]]
        single = load_run(jobs[-1].result)
    result = compare(workers, single)
    report(args, workers[0]["losses"], single["losses"], result, time.perf_counter() - start)
    for note in notes:
        print(f"note: {note}")
    return 0 if result["agree"] else 1


def report(args, two, one, result: dict, seconds: float) -> None:
    """Print what was run, a few steps' losses of both runs, and the differences."""
    rate = f"SGD with learning rate {args.learning_rate:g}"
    if args.reference_learning_rate != args.learning_rate:
        rate += f" (single process: {args.reference_learning_rate:g}, on purpose)"
    print(
        f"{args.steps} steps, global batch {args.global_batch} = {NUM_WORKERS} workers x "
        f"{args.global_batch // NUM_WORKERS} images, {rate}"
    )
    print("step   loss, 2 workers   loss, 1 process   difference")
    for k in sorted({0, 1, 2, args.steps // 2, args.steps - 1} & set(range(args.steps))):
        print(f"{k + 1:>4}   {two[k]:>15.7f}   {one[k]:>15.7f}   {abs(two[k] - one[k]):>10.1e}")
    print(f"initial weights, workers against one process: max difference {result['start']:.2e}")
    print(f"weights of worker 1 against worker 0:         max difference {result['copies']:.2e}")
    print(f"largest loss difference: {result['loss']:.2e} (tolerance {TOLERANCE:.0e})")
    print(
        f"largest weight difference: {result['weights']:.2e} (tolerance {TOLERANCE:.0e}), "
        f"in {result['where']}"
    )
    print(f"wall time: {seconds:.1f} s")
    if result["agree"]:
        print("AGREE: the two workers made the same steps as one process, up to float32 round-off.")
    else:
        print(
            f"DISAGREE: the runs differ by more than the {TOLERANCE:.0e} that float32 round-off "
            "explains: they did not compute the same steps."
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker_index is not None or args.reference:
        if args.out is None:
            raise SystemExit("--worker-index and --reference are internal: they need --out")
        run = (
            train_on_workers(args) if args.worker_index is not None else train_in_one_process(args)
        )
        save_run(args.out, run)
        return 0
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
