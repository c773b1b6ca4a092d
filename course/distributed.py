"""Training past one device and one machine with ``tf.distribute`` (chapter 11).

Three pieces, each small enough to read:

* :func:`split_cpu` presents one CPU as several logical devices, so that
  ``tf.distribute.MirroredStrategy`` has replicas to mirror over on a laptop;
* :func:`free_ports`, :func:`local_hosts` and :func:`tf_config` describe a cluster the way
  ``tf.distribute.MultiWorkerMirroredStrategy`` reads it: a ``TF_CONFIG`` with every worker's
  ``host:port`` and this process's index;
* :class:`Workers` starts worker processes and ends every one of them when its ``with`` block
  ends, also when the block fails, so no process is left behind and nothing keeps listening;
  :func:`train_worker` is what each worker runs (``python -m course train``): a tiny GPT trained
  with ``model.fit`` under the strategy, backed up each epoch by
  ``keras.callbacks.BackupAndRestore`` so that a restarted job resumes where it stopped.

The same command runs on real machines: give every machine the same ``--hosts`` list and its own
``--index`` (see the README).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

TF_CONFIG = "TF_CONFIG"


def split_cpu(count: int = 2) -> list[str]:
    """Present the first CPU as ``count`` logical devices (``/device:CPU:0`` ...).

    TensorFlow fixes its devices when it first runs an operation, so call this before anything
    computes (a chapter does it in its setup cell). Calling it again with the same ``count``
    is harmless.

    Args:
        count: how many logical CPUs to make.

    Returns:
        The names of the logical CPU devices.

    Raises:
        ValueError: for a count below 1.
        RuntimeError: when TensorFlow already runs with another number of CPU devices; the
            message says to restart the kernel and call this first.

    Example:
        >>> try:
        ...     names = split_cpu(2)
        ... except RuntimeError:  # this process had already started TensorFlow with one CPU
        ...     names = ["/device:CPU:0", "/device:CPU:1"]
        >>> names[:2]
        ['/device:CPU:0', '/device:CPU:1']
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a whole number of at least 1, got {count!r}.")
    from course.environment import quiet_tensorflow

    tf = quiet_tensorflow()
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(count)])
    except RuntimeError:
        names = [device.name for device in tf.config.list_logical_devices("CPU")]
        if len(names) != count:
            raise RuntimeError(
                f"TensorFlow has already started with {len(names)} CPU device(s), so it cannot "
                f"be split into {count} any more. Restart the kernel and call "
                f"course.distributed.split_cpu({count}) before anything else runs.") from None
        return names
    return [device.name for device in tf.config.list_logical_devices("CPU")]


def free_ports(count: int, host: str = "") -> list[int]:
    """Ports that nothing uses now, chosen by the operating system, all different.

    Each port is bound (not listened on) until all are chosen, so the same one is never handed
    out twice; another program could still take one before the workers start, which is why
    they are chosen just before starting them.

    Args:
        count: how many ports.
        host: the address to check them on; ``""`` means every interface, as a TensorFlow
            server binds.

    Returns:
        The port numbers.

    Example:
        >>> ports = free_ports(2)
        >>> len(set(ports)), all(1024 <= port < 65536 for port in ports)
        (2, True)
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a whole number of at least 1, got {count!r}.")
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((host, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def is_listening(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a program accepts connections on ``host:port``.

    Args:
        port: the port.
        host: the address.

    Returns:
        True when a connection succeeds.

    Example:
        >>> is_listening(free_ports(1)[0])
        False
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0


def local_hosts(count: int) -> list[str]:
    """``count`` addresses ``localhost:PORT`` with free ports: a cluster on this machine.

    Args:
        count: how many workers.

    Returns:
        The ``host:port`` strings.

    Example:
        >>> hosts = local_hosts(2)
        >>> [host.split(":")[0] for host in hosts]
        ['localhost', 'localhost']
    """
    return [f"localhost:{port}" for port in free_ports(count)]


def parse_hosts(text: str | Sequence[str]) -> list[str]:
    """Read a host list such as ``"machine-a:12345,machine-b:12345"``.

    Args:
        text: comma-separated ``host:port`` entries, or a list of them.

    Returns:
        The entries, checked.

    Raises:
        ValueError: for an entry without a host or with a port that is not a number in
            1-65535.

    Example:
        >>> parse_hosts("a:1234, b:1234")
        ['a:1234', 'b:1234']
    """
    entries = [part.strip() for part in (text.split(",") if isinstance(text, str) else text)]
    entries = [entry for entry in entries if entry]
    if not entries:
        raise ValueError(f"No hosts in {text!r}; write them as host:port,host:port.")
    for entry in entries:
        host, _, port = entry.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{entry!r} is not host:port (for example localhost:12345 or "
                             "machine-b:12345).")
    if len(set(entries)) != len(entries):
        raise ValueError(f"A host:port appears twice in {entries}; each worker needs its own.")
    return entries


def tf_config(hosts: Sequence[str], index: int) -> dict[str, Any]:
    """The ``TF_CONFIG`` of worker ``index`` in a cluster of ``hosts``.

    Every worker gets the **same** cluster (all the addresses, in the same order) and its own
    task index; worker 0 also writes the summaries and is the one a cluster manager watches.

    Args:
        hosts: every worker's ``host:port``, the same list on every machine.
        index: this worker's position in ``hosts``.

    Returns:
        The dictionary to put, as JSON, in the ``TF_CONFIG`` environment variable.

    Example:
        >>> tf_config(["localhost:2222", "localhost:2223"], 1)
        {'cluster': {'worker': ['localhost:2222', 'localhost:2223']}, 'task': {'type': 'worker', 'index': 1}}
    """  # noqa: E501
    hosts = parse_hosts(hosts)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(hosts):
        raise ValueError(f"index must be 0 to {len(hosts) - 1} for {len(hosts)} hosts, "
                         f"got {index!r}.")
    return {"cluster": {"worker": list(hosts)}, "task": {"type": "worker", "index": index}}


def _worker_environment(config: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    env[TF_CONFIG] = json.dumps(config)
    # gRPC honours proxy variables: keep the workers' own traffic off any proxy.
    for name in ("no_proxy", "NO_PROXY"):
        env[name] = ",".join(filter(None, [env.get(name, ""), "localhost", "127.0.0.1"]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


class Workers:
    """Worker processes that are all ended when the ``with`` block ends, however it ends.

    Each process starts in its own session, so ending it also ends whatever it started; its
    output goes to ``log_dir/worker-<index>.log``. On leaving the block, live workers get
    ``SIGTERM``, then ``SIGKILL`` after ``grace`` seconds, and every one is waited for, so none
    is left running and none keeps a port open.

    Args:
        commands: one command (a list of strings) per worker.
        log_dir: folder for the logs.
        envs: one environment per worker (default: this process's).
        grace: seconds between ``SIGTERM`` and ``SIGKILL``.
        hosts: the workers' ``host:port`` addresses, where they have some (kept for
            :attr:`ports`).

    Example:
        >>> import sys, tempfile
        >>> with Workers([[sys.executable, "-c", "print('hello')"]], tempfile.mkdtemp()) as w:
        ...     w.wait(timeout=30)
        [0]
        >>> w.running()
        [False]
    """

    def __init__(self, commands: Sequence[Sequence[str]], log_dir: str | Path,
                 envs: Sequence[dict[str, str]] | None = None, grace: float = 5.0,
                 hosts: Sequence[str] | None = None):
        if not commands:
            raise ValueError("No commands: give one command per worker.")
        if envs is not None and len(envs) != len(commands):
            raise ValueError(f"{len(envs)} environments for {len(commands)} commands; give one "
                             "per worker, or none.")
        self.commands = [list(command) for command in commands]
        self.log_dir = Path(log_dir)
        self.envs = list(envs) if envs is not None else [None] * len(commands)
        self.grace = grace
        self.hosts = list(hosts) if hosts is not None else []
        self.processes: list[subprocess.Popen] = []
        self._logs: list[Any] = []

    def __enter__(self) -> Workers:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            for index, (command, env) in enumerate(zip(self.commands, self.envs, strict=True)):
                log = open(self.log_dir / f"worker-{index}.log", "w")  # noqa: SIM115
                self._logs.append(log)
                self.processes.append(subprocess.Popen(
                    command, stdout=log, stderr=subprocess.STDOUT, env=env,
                    start_new_session=True))
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    @property
    def ports(self) -> list[int]:
        """The workers' ports (from ``hosts``)."""
        return [int(host.rpartition(":")[2]) for host in self.hosts]

    @property
    def pids(self) -> list[int]:
        """The process ids, in worker order."""
        return [process.pid for process in self.processes]

    def running(self) -> list[bool]:
        """Whether each worker is still running."""
        return [process.poll() is None for process in self.processes]

    def kill(self, index: int) -> None:
        """End worker ``index`` at once (``SIGKILL``), as a crash or a lost machine would."""
        self._signal(self.processes[index], signal.SIGKILL)
        self.processes[index].wait()

    def wait(self, timeout: float) -> list[int]:
        """Wait until every worker has exited.

        Args:
            timeout: seconds to wait in all.

        Returns:
            The exit codes, in worker order.

        Raises:
            TimeoutError: when a worker is still running after ``timeout`` seconds (the end of
                its log is in the message); the workers keep running until the block ends.
        """
        deadline = time.monotonic() + timeout
        for index, process in enumerate(self.processes):
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise TimeoutError(f"worker {index} still runs after {timeout:g} s; the end of "
                                   f"its log:\n{self.log(index)[-2000:]}") from None
        return [process.returncode for process in self.processes]

    def log(self, index: int) -> str:
        """What worker ``index`` has printed so far."""
        for log in self._logs:
            if not log.closed:
                log.flush()
        path = self.log_dir / f"worker-{index}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        """End every worker still running (``SIGTERM``, then ``SIGKILL``) and wait for all."""
        for process in self.processes:
            if process.poll() is None:
                self._signal(process, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for process in self.processes:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._signal(process, signal.SIGKILL)
                process.wait()
        for log in self._logs:
            log.close()

    @staticmethod
    def _signal(process: subprocess.Popen, number: int) -> None:
        try:
            if hasattr(os, "killpg"):
                os.killpg(process.pid, number)  # the worker's whole session
            else:  # pragma: no cover (Windows)
                process.kill()
        except ProcessLookupError:
            pass


# ---------------------------------------------------------------------------------------------
# The worker


@dataclass(frozen=True)
class TrainSettings:
    """What a worker of ``python -m course train`` trains: a tiny character GPT.

    Every epoch is one pass over the same ``steps_per_epoch`` batches, in the same order, so a
    job resumed from the checkpoint of epoch ``k`` sees exactly the batches it would have seen.

    Args:
        epochs: passes over the training windows.
        steps_per_epoch: global batches per epoch.
        batch_size: windows per global batch, split evenly over all replicas.
        sequence_length: tokens per window.
        num_layers: decoder blocks.
        num_heads: attention heads.
        hidden_dim: width of the residual stream.
        learning_rate: Adam's learning rate.
        corpus_chars: characters of the ``pydoc`` corpus to read.
        seed: the seed of the initial weights.
        pause: seconds each worker sleeps after an epoch (to give a demonstration time to
            interrupt it; 0 in real use).

    Example:
        >>> TrainSettings(steps_per_epoch=8, batch_size=16).windows
        128
    """

    epochs: int = 6
    steps_per_epoch: int = 8
    batch_size: int = 16
    sequence_length: int = 32
    num_layers: int = 1
    num_heads: int = 2
    hidden_dim: int = 32
    learning_rate: float = 3e-3
    corpus_chars: int = 60_000
    seed: int = 0
    pause: float = 0.0

    def __post_init__(self) -> None:
        for name in ("epochs", "steps_per_epoch", "batch_size", "sequence_length", "num_layers",
                     "num_heads", "hidden_dim", "corpus_chars"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}.")
        if self.hidden_dim % self.num_heads:
            raise ValueError(f"hidden_dim={self.hidden_dim} must be a multiple of "
                             f"num_heads={self.num_heads}.")

    @property
    def windows(self) -> int:
        """Training windows in one epoch."""
        return self.steps_per_epoch * self.batch_size

    def arguments(self) -> list[str]:
        """These settings as ``python -m course train`` options."""
        defaults = TrainSettings()
        return [item for name, value in asdict(self).items()
                if value != getattr(defaults, name)
                for item in (f"--{name.replace('_', '-')}", str(value))]


def training_windows(settings: TrainSettings) -> tuple[Any, Any, Any, Any, int]:
    """The windows a worker trains and scores on: characters of ``pydoc``, no shuffling.

    Args:
        settings: the run's settings.

    Returns:
        ``(train_inputs, train_targets, validation_inputs, validation_targets, vocabulary)``,
        arrays of ids and the vocabulary size.
    """
    import numpy as np

    from course.data import load_text, split_text
    from course.text import CharacterTokenizer
    from course.text.windows import make_windows

    text = load_text("pydoc", max_chars=settings.corpus_chars)
    train_text, validation_text = split_text(text)
    tokenizer = CharacterTokenizer.fit(text)
    train_x, train_y = make_windows(tokenizer.tokenize(train_text), settings.sequence_length)
    validation_x, validation_y = make_windows(tokenizer.tokenize(validation_text),
                                              settings.sequence_length)
    if len(train_x) < settings.windows:
        raise ValueError(f"{settings.windows} windows needed per epoch but the text gives "
                         f"{len(train_x)}; raise corpus_chars or lower steps_per_epoch.")
    return (np.asarray(train_x[:settings.windows]), np.asarray(train_y[:settings.windows]),
            np.asarray(validation_x[:64]), np.asarray(validation_y[:64]),
            tokenizer.vocabulary_size())


def build_model(settings: TrainSettings, vocabulary_size: int) -> Any:
    """The tiny GPT of a worker, built and compiled (Adam, per-token cross-entropy).

    Args:
        settings: the run's settings.
        vocabulary_size: number of token ids.

    Returns:
        The compiled ``course.models.GPT``.
    """
    import keras
    import numpy as np

    from course.models.gpt import GPT

    keras.utils.set_random_seed(settings.seed)
    model = GPT(vocabulary_size, settings.sequence_length, settings.num_layers,
                settings.num_heads, settings.hidden_dim, 4 * settings.hidden_dim)
    model(np.zeros((1, settings.sequence_length), "int32"))
    model.compile(optimizer=keras.optimizers.Adam(settings.learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def multi_worker_strategy() -> Any:
    """``tf.distribute.MultiWorkerMirroredStrategy`` for ``model.fit``, reading ``TF_CONFIG``.

    Create it first thing in the process, before TensorFlow computes anything. Keras 3.15's
    ``fit`` asks the strategy for two reductions this strategy refuses across workers: the
    first ``(inputs, targets)`` batch as one structure (to read its shapes), and each step's
    scalar logs averaged "along axis 0". The strategy returned here reduces a structure part by
    part and a scalar across replicas only; everything else is the strategy's own.

    Returns:
        The strategy.
    """
    from course.environment import quiet_tensorflow

    tf = quiet_tensorflow()

    class KerasMultiWorkerStrategy(tf.distribute.MultiWorkerMirroredStrategy):
        def reduce(self, reduce_op: Any, value: Any, axis: int | None) -> Any:
            def one(part: Any) -> Any:
                local = self.experimental_local_results(part)[0]
                along = None if axis is not None and local.shape.rank == 0 else axis
                return super(KerasMultiWorkerStrategy, self).reduce(reduce_op, part, along)

            return tf.nest.map_structure(one, value)

    communication = tf.distribute.experimental.CommunicationOptions(
        implementation=tf.distribute.experimental.CommunicationImplementation.RING)
    return KerasMultiWorkerStrategy(communication_options=communication)


def train_worker(settings: TrainSettings, out_dir: str | Path, hosts: Sequence[str] | None = None,
                 index: int = 0) -> dict[str, Any]:
    """Train as one worker of a cluster (or alone), backed up after every epoch.

    With ``hosts``, this process sets its own ``TF_CONFIG`` from them; without, it uses the
    ``TF_CONFIG`` already in the environment (as a cluster manager sets it), or trains alone.
    The data is batched with the global batch size and sharded by data (tf.data's ``DATA``
    auto-shard policy): each worker keeps its own slice of every global batch, so the workers
    together see exactly the batches one process would. After each epoch the worker appends
    ``{"epoch", "loss"}`` to ``out_dir/progress-<index>.jsonl``; at the end it writes
    ``out_dir/worker-<index>.json``.

    Args:
        settings: what to train.
        out_dir: folder for progress, results and the backups (``backup-<index>/``).
        hosts: every worker's ``host:port``; None to read ``TF_CONFIG``.
        index: this worker's index in ``hosts``.

    Returns:
        The result: epochs run here, their losses, the validation loss at the end, seconds.
    """
    start = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if hosts is not None:
        os.environ[TF_CONFIG] = json.dumps(tf_config(hosts, index))
    config = json.loads(os.environ.get(TF_CONFIG) or "{}")
    workers = len(config.get("cluster", {}).get("worker", [])) or 1
    index = int(config.get("task", {}).get("index", index))

    from course.environment import quiet_tensorflow

    tf = quiet_tensorflow()
    import keras

    from course.training import mean_token_loss

    if workers > 1:
        try:  # one core per worker process (too late if TensorFlow has already started)
            tf.config.threading.set_intra_op_parallelism_threads(1)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:
            pass
    if workers > 1:
        strategy = multi_worker_strategy()
    else:
        strategy = tf.distribute.get_strategy()
    train_x, train_y, validation_x, validation_y, vocabulary = training_windows(settings)

    options = tf.data.Options()  # each worker keeps its slice of every global batch
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    data = tf.data.Dataset.from_tensor_slices((train_x, train_y)).batch(
        settings.batch_size, drop_remainder=True).with_options(options)
    with strategy.scope():
        model = build_model(settings, vocabulary)
    progress = out / f"progress-{index}.jsonl"

    class Progress(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            with progress.open("a") as file:
                file.write(json.dumps({"epoch": epoch + 1, "loss": float(logs["loss"])}) + "\n")
            time.sleep(settings.pause)

    backup = keras.callbacks.BackupAndRestore(str(out / f"backup-{index}"), save_freq="epoch")
    history = model.fit(data, epochs=settings.epochs, callbacks=[backup, Progress()],
                        shuffle=False, verbose=0)
    losses = [float(loss) for loss in history.history.get("loss", [])]
    validation = tf.data.Dataset.from_tensor_slices((validation_x, validation_y)).batch(32)
    result = {
        "index": index, "workers": workers, "replicas": int(strategy.num_replicas_in_sync),
        "epochs": list(range(settings.epochs - len(losses) + 1, settings.epochs + 1)),
        "losses": losses, "validation_loss": mean_token_loss(model, validation),
        "seconds": time.perf_counter() - start,
    }
    (out / f"worker-{index}.json").write_text(json.dumps(result, indent=1))
    return result


def worker_command(settings: TrainSettings, out_dir: str | Path, hosts: Sequence[str],
                   index: int) -> list[str]:
    """The command that runs worker ``index``: ``python -m course train --hosts ... --index``.

    Args:
        settings: what to train.
        out_dir: the run's folder.
        hosts: every worker's ``host:port``.
        index: this worker.

    Returns:
        The command as a list.

    Example:
        >>> worker_command(TrainSettings(epochs=2), "run", ["localhost:1", "localhost:2"], 1)[2:]
        ['course', 'train', '--hosts', 'localhost:1,localhost:2', '--index', '1', '--out', 'run', '--epochs', '2']
    """  # noqa: E501
    return [sys.executable, "-m", "course", "train", "--hosts", ",".join(parse_hosts(hosts)),
            "--index", str(index), "--out", str(out_dir), *settings.arguments()]


def start_local_cluster(workers: int, settings: TrainSettings, out_dir: str | Path) -> Workers:
    """``workers`` processes on this machine, each told the cluster through ``TF_CONFIG``.

    Ports are chosen free just before the processes start. The workers share this machine, so
    they train on its CPU (a GPU would be claimed whole by the first). Use the result in a
    ``with`` block: every worker ends when it does.

    Args:
        workers: how many worker processes.
        settings: what they train.
        out_dir: the run's folder (logs, progress, results, backups).

    Returns:
        A :class:`Workers`, not started yet.
    """
    hosts = local_hosts(workers)
    commands = [worker_command(settings, out_dir, hosts, index) for index in range(workers)]
    envs = [_worker_environment(tf_config(hosts, index)) for index in range(workers)]
    for env in envs:  # workers sharing one machine would fight over its GPU: they use the CPU
        env["CUDA_VISIBLE_DEVICES"] = ""
    return Workers(commands, out_dir, envs, hosts=hosts)


def read_progress(out_dir: str | Path, index: int = 0) -> list[dict[str, float]]:
    """The epochs worker ``index`` has finished so far, from ``progress-<index>.jsonl``.

    Args:
        out_dir: the run's folder.
        index: the worker.

    Returns:
        ``[{"epoch": 1, "loss": ...}, ...]`` (empty before the first epoch ends).
    """
    path = Path(out_dir) / f"progress-{index}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wait_for_epoch(workers: Workers, out_dir: str | Path, epoch: int, index: int = 0,
                   timeout: float = 120.0) -> None:
    """Wait until worker ``index`` has finished (and backed up) ``epoch``.

    Args:
        workers: the running workers.
        out_dir: the run's folder.
        epoch: the epoch to wait for (1 is the first).
        index: the worker to watch.
        timeout: seconds.

    Raises:
        RuntimeError: when a worker exits before that (its log is in the message).
        TimeoutError: when the epoch is not reached in time.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(entry["epoch"] >= epoch for entry in read_progress(out_dir, index)):
            return
        for number, running in enumerate(workers.running()):
            if not running:
                raise RuntimeError(f"worker {number} exited before epoch {epoch}; the end of "
                                   f"its log:\n{workers.log(number)[-2000:]}")
        time.sleep(0.1)
    raise TimeoutError(f"worker {index} did not finish epoch {epoch} in {timeout:g} s.")


def run_local(workers: int, settings: TrainSettings, out_dir: str | Path,
              timeout: float = 600.0) -> dict[str, Any]:
    """Train with ``workers`` local processes and return worker 0's result.

    Args:
        workers: how many worker processes.
        settings: what to train.
        out_dir: the run's folder.
        timeout: seconds for the whole run.

    Returns:
        The contents of ``worker-0.json``.

    Raises:
        RuntimeError: when a worker fails (its log is in the message).
    """
    with start_local_cluster(workers, settings, out_dir) as cluster:
        codes = cluster.wait(timeout)
        failed = [index for index, code in enumerate(codes) if code != 0]
        if failed:
            raise RuntimeError(f"worker {failed[0]} exited with code {codes[failed[0]]}; the end "
                               f"of its log:\n{cluster.log(failed[0])[-3000:]}")
    return json.loads((Path(out_dir) / "worker-0.json").read_text())
