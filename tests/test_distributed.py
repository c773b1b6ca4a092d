"""course.distributed: ports, TF_CONFIG, and worker processes that are always ended.

The process tests start small Python processes (no TensorFlow) that listen on a port, start a
process of their own, or ignore SIGTERM, and check that after the ``with`` block, however it
ends, no process is left and nothing listens.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time

import psutil
import pytest

from course import distributed
from course.__main__ import main

LISTENER = """
import socket, subprocess, sys, time
server = socket.socket()
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen()
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
open(sys.argv[2], "w").write(str(child.pid))
time.sleep(600)
"""

STUBBORN = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ignoring SIGTERM", flush=True)
time.sleep(600)
"""


def _gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def _wait_until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the workers to start"
        time.sleep(0.05)


def test_free_ports_are_distinct_and_free():
    ports = distributed.free_ports(3)
    assert len(set(ports)) == 3
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))  # raises if something holds it
        assert not distributed.is_listening(port)


def test_tf_config_gives_every_worker_the_same_cluster_and_its_own_index():
    hosts = ["localhost:2222", "localhost:2223"]
    configs = [distributed.tf_config(hosts, index) for index in range(2)]
    assert [c["cluster"] for c in configs] == [{"worker": hosts}] * 2
    assert [c["task"] for c in configs] == [{"type": "worker", "index": i} for i in range(2)]
    json.dumps(configs[0])  # what goes into the environment variable
    with pytest.raises(ValueError, match="index must be 0 to 1"):
        distributed.tf_config(hosts, 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "No hosts"), ("a:1,a:1", "appears twice"), ("a", "is not host:port"),
     ("a:http", "is not host:port"), (":80", "is not host:port"), ("a:70000", "is not host:port")],
)
def test_bad_host_lists_are_refused_with_advice(text, message):
    with pytest.raises(ValueError, match=message):
        distributed.parse_hosts(text)


def test_settings_refuse_nonsense():
    with pytest.raises(ValueError, match="epochs must be a whole number"):
        distributed.TrainSettings(epochs=0)
    with pytest.raises(ValueError, match="multiple of num_heads"):
        distributed.TrainSettings(hidden_dim=30, num_heads=4)
    assert distributed.TrainSettings(epochs=3, seed=2).arguments() == ["--epochs", "3",
                                                                       "--seed", "2"]


def test_no_process_left_and_nothing_listening_after_an_exception(tmp_path):
    ports = distributed.free_ports(2)
    commands = [[sys.executable, "-c", LISTENER, str(port), str(tmp_path / f"child-{i}")]
                for i, port in enumerate(ports)]
    with pytest.raises(RuntimeError, match="a cell failed"):
        with distributed.Workers(commands, tmp_path) as workers:
            _wait_until(lambda: all(distributed.is_listening(p) for p in ports)
                        and all((tmp_path / f"child-{i}").exists() for i in range(2)))
            pids = workers.pids
            children = [int((tmp_path / f"child-{i}").read_text()) for i in range(2)]
            raise RuntimeError("a cell failed")
    assert workers.running() == [False, False]
    assert all(_gone(pid) for pid in pids + children), "a worker or a process it started is left"
    assert not any(distributed.is_listening(port) for port in ports)


def test_a_worker_that_ignores_sigterm_is_killed(tmp_path):
    start = time.monotonic()
    with distributed.Workers([[sys.executable, "-c", STUBBORN]], tmp_path, grace=0.5) as workers:
        _wait_until(lambda: "ignoring" in workers.log(0))
    assert workers.running() == [False]
    assert _gone(workers.pids[0])
    assert time.monotonic() - start < 30


def test_kill_ends_one_worker_and_wait_reports_a_timeout(tmp_path):
    sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
    with distributed.Workers([sleeper, sleeper], tmp_path) as workers:
        workers.kill(1)
        assert workers.running() == [True, False]
        with pytest.raises(TimeoutError, match="worker 0 still runs"):
            workers.wait(timeout=0.2)
    assert workers.running() == [False, False]


def test_a_failed_start_ends_the_workers_already_started(tmp_path):
    sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
    workers = distributed.Workers([sleeper, [str(tmp_path / "no-such-program")]], tmp_path)
    with pytest.raises(FileNotFoundError):
        workers.__enter__()
    assert workers.running() == [False]


def test_worker_environment_keeps_local_traffic_off_proxies(monkeypatch):
    monkeypatch.setenv("no_proxy", "example.org")
    env = distributed._worker_environment(distributed.tf_config(["localhost:1"], 0))
    assert env["no_proxy"] == "example.org,localhost,127.0.0.1"
    assert json.loads(env["TF_CONFIG"])["task"]["index"] == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["train", "--hosts", "a:1,b:2"], "--hosts needs --index"),
     (["train", "--index", "1"], "--index needs --hosts"),
     (["train", "--hosts", "a:1,b:2", "--index", "2"], "index must be 0 to 1"),
     (["train", "--hidden-dim", "30", "--num-heads", "4"], "multiple of num_heads")],
)
def test_train_refuses_bad_arguments(capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_train_refuses_workers_and_hosts_together(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--workers", "2", "--hosts", "a:1"])
    assert exit_info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_train_help_says_how_to_run_on_real_machines(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    assert "--hosts machine-a:12345,machine-b:12345 --index 1" in text
    assert "BackupAndRestore" in text


def test_workers_need_commands(tmp_path):
    with pytest.raises(ValueError, match="one command per worker"):
        distributed.Workers([], tmp_path)
    assert not os.environ.get("TF_CONFIG")
