"""A bubblewrap (``bwrap``) sandbox for the Python kernels that run students' code when grading.

:mod:`course.grading` starts each submission's kernel through :func:`kernel_command`, so that the
code of the answer cells runs with

* its own user, PID, IPC, UTS, cgroup and network namespaces (``--unshare-all``): no network at
  all, not even the loopback of the machine, and no view of processes outside its own run. Its
  network namespace has a loopback of its own (bubblewrap brings ``lo`` up), and a hosts file of
  its own names it ``localhost``, so processes of one run can talk to each other (chapter 11's
  local cluster of two workers) and to nothing else;
* a file system made of read-only binds of what Python needs (the system's ``/usr``, the Python
  installation, the virtual environment), the kit's own code (``course/``, ``data/registry.toml``,
  ``pyproject.toml``) and the downloaded datasets, nothing else: not the instructor's notebooks,
  not the submissions, not ``grades/``, not the home folder;
* a private ``/tmp`` of limited size (its working folder, ``/tmp/work``, and
  ``HOME=/tmp/home``) that vanishes with it, a read-only ``/dev``, a read-only root (the folders
  above the binds exist, empty), and one writable folder of the grader's, holding only the
  kernel's connection file and sockets (the kernel talks to nbval over Unix sockets, since it has
  no network);
* a clean environment (``--clearenv``, then only the variables the kit reads);
* ``--die-with-parent`` and a PID namespace: when the kernel or the nbval process that started it
  ends, every process the submission started ends too.

The grader (nbval and :mod:`course.grading`) stays outside. Bubblewrap needs no root: it is the
distribution's ``bubblewrap`` package (``apt install bubblewrap``, ``dnf install bubblewrap``).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

from course.project import ROOT

INSIDE_WORK = "/tmp/work"
"""The kernel's working folder inside the sandbox (on its private ``/tmp``)."""
INSIDE_HOME = "/tmp/home"
SHM_BYTES = 64 * 2**20
"""The size of the sandbox's ``/dev/shm`` (Python's multiprocessing keeps its semaphores there)."""
HOSTS = "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n"
"""The sandbox's ``/etc/hosts``: only the loopback (the machine's own file is not shown)."""
PASSED_VARIABLES = (
    "LANG", "LC_ALL", "LC_CTYPE", "TZ", "MPLBACKEND", "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED",
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS", "TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "KERAS_BACKEND",
    "CUDA_VISIBLE_DEVICES", "COURSE_PROFILE", "COURSE_DATA_DIR", "COURSE_DATA_MIRROR",
    "COURSE_GRADING_RUN",
)
"""Environment variables passed into the sandbox (everything else is cleared)."""
_ETC = (
    "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group", "nsswitch.conf",
    "alternatives", "ssl", "ca-certificates", "fonts", "mime.types", "matplotlibrc",
)


def bwrap_path() -> str | None:
    """The ``bwrap`` program, or ``None`` when it is not installed."""
    return shutil.which("bwrap")


@functools.cache
def unavailable_reason() -> str:
    """Why the sandbox cannot be used on this machine, or ``""`` when it can.

    It runs ``bwrap`` once with the same namespaces as a grading run, so a kernel that forbids
    unprivileged user namespaces (or a container without them) is found before grading starts.
    """
    program = bwrap_path()
    if program is None:
        return (
            "bubblewrap (bwrap) is not installed; install the distribution's package "
            "(apt install bubblewrap, dnf install bubblewrap)"
        )
    try:
        probe = subprocess.run(
            [program, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/",
             "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "true"],
            capture_output=True, text=True, timeout=30, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bwrap could not be started ({error})"
    if probe.returncode != 0:
        return (
            f"bwrap cannot create its namespaces here ({probe.stderr.strip()[:200]}); allow "
            "unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) or grade in "
            "a virtual machine"
        )
    return ""


def _data_folders() -> list[Path]:
    """The dataset cache and a local mirror, bound read-only so that chapters find their data."""
    from course.data.download import data_dir

    folders = [data_dir()]
    mirror = os.environ.get("COURSE_DATA_MIRROR", "").strip()
    if mirror and "://" not in mirror:
        folders.append(Path(mirror).expanduser())
    return [folder.resolve() for folder in folders if folder.is_dir()]


def readable_paths() -> list[Path]:
    """Everything a sandboxed kernel can read, besides the system's ``/usr`` and parts of ``/etc``.

    Returns:
        The Python installation, the virtual environment, the kit's code (``course/``,
        ``data/registry.toml``, the small corpora shipped as ``data/*.txt``, ``pyproject.toml``)
        and the dataset folders.
    """
    paths = [Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).resolve().parent]
    paths += [ROOT / "course", ROOT / "data" / "registry.toml", ROOT / "pyproject.toml"]
    paths += sorted((ROOT / "data").glob("*.txt"))  # shipped corpora (chapter 10's zh-sample)
    paths += _data_folders()
    unique: list[Path] = []
    for path in (p.resolve() for p in paths):
        if path.exists() and not str(path).startswith("/usr/") and path not in unique:
            unique.append(path)
    return unique


def kernel_command(
    argv: list[str], *, writable: Path, env: dict[str, str], tmp_bytes: int = 2**30
) -> list[str]:
    """The command that runs ``argv`` (a kernel) inside the sandbox.

    Args:
        argv: the command to run inside, such as ``[python, "-m", "ipykernel_launcher", "-f",
            connection_file]``.
        writable: a folder of the grader's bound read-write at the same path (the kernel's
            connection file and sockets); nothing else outside is writable. The sandbox's
            ``/etc/hosts`` (:data:`HOSTS`) is written there as ``hosts``.
        env: the environment to take the variables of :data:`PASSED_VARIABLES` from.
        tmp_bytes: the size of the private ``/tmp`` (a tmpfs: it takes memory, which the
            resident-memory limit does not count); ``/dev/shm`` gets :data:`SHM_BYTES`.

    Returns:
        The full command line, starting with ``bwrap``.

    Raises:
        RuntimeError: when bubblewrap is not installed.
    """
    program = bwrap_path()
    if program is None:
        raise RuntimeError(unavailable_reason())
    args = [
        program, "--unshare-all", "--die-with-parent", "--new-session", "--hostname", "grading",
        "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev",
        "--size", str(SHM_BYTES), "--tmpfs", "/dev/shm", "--remount-ro", "/dev",
        "--size", str(tmp_bytes), "--tmpfs", "/tmp",
        "--dir", INSIDE_WORK, "--dir", INSIDE_HOME, "--chdir", INSIDE_WORK,
    ]
    for name in ("bin", "lib", "lib32", "lib64", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in _ETC:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    hosts = Path(writable) / "hosts"  # without it, "localhost" does not resolve inside
    hosts.write_text(HOSTS)
    args += ["--ro-bind", str(hosts), "/etc/hosts"]
    for path in readable_paths():
        args += ["--ro-bind", str(path), str(path)]
    args += ["--bind", str(writable), str(writable), "--remount-ro", "/", "--clearenv"]
    passed = {name: env[name] for name in PASSED_VARIABLES if name in env}
    passed.update(
        HOME=INSIDE_HOME, TMPDIR="/tmp", PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin",
        MPLCONFIGDIR=f"{INSIDE_HOME}/.matplotlib", COURSE_RESULTS_DIR="/tmp/results",
        PYTHONNOUSERSITE="1",
    )
    for name, value in passed.items():
        args += ["--setenv", name, value]
    return [*args, "--", *argv]


__all__ = [
    "HOSTS", "INSIDE_WORK", "bwrap_path", "kernel_command", "readable_paths", "unavailable_reason",
]
