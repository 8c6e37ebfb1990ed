"""Benchmark numpy-mlp against PyTorch, JAX and scikit-learn: one training epoch of two MLP workloads.

    python bench/run.py                  # 5 rounds; writes the table into docs/performance.md
    python bench/run.py --quick          # 2 rounds on smaller data; prints only
    python bench/run.py --rounds 3 --out /tmp/performance.md

Each system trains in a child process of its own (bench/worker.py), the systems interleaved:
round 1 runs every system once, round 2 again, and so on, starting each round one system
further along, so that a slow spell of a shared machine spreads over all of them. Reported:
median epoch time and its min-max over the rounds, samples/s, peak RSS, start-up and warm-up
(compilation) times apart, each system's time over numpy-mlp's from the same run, and over
the epoch's GEMM lower bound: the FLOPs of its matrix products at the float32 GEMM rate that
NumPy measures on the workload's own shapes (bench/gemm_rate.py, once per round). Systems
whose package is missing are skipped with a note (see bench/requirements.txt).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
sys.path.insert(0, BENCH_DIR)
from workloads import WORKLOADS, epoch_flops, flops_per_sample  # noqa: E402

SYSTEMS = ["numpy-mlp", "torch", "torch-fused", "jax-jit", "jax-scan", "sklearn"]
BASELINE = "numpy-mlp"
DEFAULT_DOC = os.path.join(REPO_ROOT, "docs", "performance.md")
BEGIN_MARKER = "<!-- begin: table written by bench/run.py -->"
END_MARKER = "<!-- end: table written by bench/run.py -->"
#: set on some machines for old OpenBLAS builds; they can slow a current NumPy down
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
RESULT_PREFIX = "BENCH_RESULT "


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("--quick", action="store_true",
                        help="2 rounds on smaller data (10,000 and 20,000 samples); does not write the doc")
    parser.add_argument("--rounds", type=int, help="rounds of every system (default 5, 2 with --quick)")
    parser.add_argument("--out", help=f"Markdown file to write the table into, between its markers "
                                      f"(default {os.path.relpath(DEFAULT_DOC, REPO_ROOT)}, "
                                      "except with --quick); '-' for none")
    parser.add_argument("--systems", nargs="+", choices=SYSTEMS, default=SYSTEMS, metavar="SYSTEM",
                        help=f"systems to run (default all: {' '.join(SYSTEMS)})")
    parser.add_argument("--workloads", nargs="+", choices=sorted(WORKLOADS), default=list(WORKLOADS),
                        metavar="WORKLOAD", help=f"workloads to run (default all: {' '.join(WORKLOADS)})")
    parser.add_argument("--threads", type=int, default=2,
                        help="threads for PyTorch, and OPENBLAS/OMP_NUM_THREADS for the others (default 2)")
    parser.add_argument("--unset-openblas-coretype", action="store_true",
                        help="remove OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE from the children's environment")
    parser.add_argument("--max-contention", type=float, default=0.25,
                        help="rerun a measurement whose epoch saw other processes use more than this "
                             "share of the machine's CPU (default 0.25)")
    parser.add_argument("--retries", type=int, default=2,
                        help="reruns allowed per contended measurement; the least contended is kept (default 2)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds allowed per child (default 900)")
    parser.add_argument("--save-json", metavar="PATH", help="also write every raw measurement as JSON")
    parser.add_argument("--from-json", metavar="PATH",
                        help="measure nothing: render (and write) the table of a --save-json file")
    args = parser.parse_args(argv)
    if args.from_json:
        with open(args.from_json, encoding="utf-8") as raw:
            saved = json.load(raw)
        for name in ("quick", "rounds", "systems", "workloads", "threads", "unset_openblas_coretype",
                     "max_contention", "retries"):
            setattr(args, name, saved["args"][name])
        args.saved = saved
    if args.rounds is None:
        args.rounds = 2 if args.quick else 5
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.out is None:
        args.out = "-" if args.quick else DEFAULT_DOC
    if BASELINE not in args.systems:
        args.systems = [BASELINE, *args.systems]  # every ratio needs it
    args.systems = [system for system in SYSTEMS if system in args.systems]
    return args


def child_environment(args) -> dict:
    """The environment of every child: thread counts pinned, OpenBLAS overrides removed on request."""
    env = dict(os.environ)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(args.threads)
    if args.unset_openblas_coretype:
        for name in OPENBLAS_OVERRIDES:
            env.pop(name, None)
    env.setdefault("PYTHONWARNINGS", "ignore")
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return env


def run_child(command: list[str], env: dict, timeout: float) -> dict:
    """Run a bench script; its report is the stdout line that starts with RESULT_PREFIX."""
    try:
        finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout,
                                  cwd=REPO_ROOT)
    except subprocess.TimeoutExpired:
        return {"status": "error", "note": f"timed out after {timeout:g} s"}
    for line in reversed(finished.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    tail = (finished.stderr or finished.stdout).strip().splitlines()[-3:]
    return {"status": "error", "note": f"exit code {finished.returncode}: " + " | ".join(tail)}


def machine_facts() -> dict:
    cpu_model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = None
    try:
        with open("/proc/meminfo") as meminfo:
            memory = int(meminfo.readline().split()[1]) / 2**20
    except (OSError, ValueError, IndexError):
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": cpu_model, "cores": os.cpu_count(), "usable_cores": usable, "memory_gib": memory,
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "load_average_at_start": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
            "openblas_overrides": {name: os.environ[name] for name in OPENBLAS_OVERRIDES if name in os.environ}}


def measure(args, env, log) -> dict:
    """Every round: the GEMM rates, then each system on each workload, interleaved."""
    python = sys.executable
    gemm_command = [python, os.path.join(BENCH_DIR, "gemm_rate.py"), "--json"]
    for name in args.workloads:
        gemm_command += ["--workload", name]
    gemm_rounds, runs = [], []
    for round_index in range(args.rounds):
        gemm = least_contended(gemm_command, env, args, log, "GEMM rate",
                               lambda report: max((rate.get("contention") or 0 for rate in report.get("rates", [])),
                                                  default=0))
        if gemm.get("status") == "error":
            raise SystemExit(f"bench/gemm_rate.py failed: {gemm['note']}")
        gemm_rounds.append(gemm)
        rates = ", ".join(f"{rate['workload']} {rate['gflops']:.1f} GFLOP/s" for rate in gemm["rates"])
        log(f"[round {round_index + 1}/{args.rounds}] GEMM rate: {rates}")
        shift = round_index % len(args.systems)
        for system in args.systems[shift:] + args.systems[:shift]:
            for name in args.workloads:
                command = [python, os.path.join(BENCH_DIR, "worker.py"), "--system", system,
                           "--workload", name, "--threads", str(args.threads), "--json"]
                if args.quick:
                    command.append("--quick")
                result = least_contended(command, env, args, log, f"{system} {name}",
                                         lambda report: report.get("contention") or 0)
                result["round"] = round_index + 1
                runs.append(result)
                log(f"[round {round_index + 1}/{args.rounds}] {describe_run(result)}")
    return {"gemm": gemm_rounds, "runs": runs}


def least_contended(command, env, args, log, what: str, contention_of) -> dict:
    """Run a child; while other processes took more than --max-contention of the CPU meanwhile,
    run it again (at most --retries times). Returns the least disturbed report."""
    attempts = [run_child(command, env, args.timeout)]
    while contention_of(attempts[-1]) > args.max_contention and len(attempts) <= args.retries:
        log(f"    {what}: other processes used {contention_of(attempts[-1]):.0%} of the CPU meanwhile; "
            "measuring again")
        attempts.append(run_child(command, env, args.timeout))
    measured = [report for report in attempts if report.get("status") != "error"] or attempts
    best = min(measured, key=contention_of)
    best["attempts"] = len(attempts)
    return best


def describe_run(result: dict) -> str:
    where = f"{result['system']} {result['workload']}"
    if result.get("status") != "ok":
        return f"{where}: {result.get('status')} ({result.get('note')})"
    contention = result.get("contention")
    busy = "" if contention is None else f", others used {contention:.0%} of the CPU"
    return (f"{where}: epoch {result['epoch_s']:.3f} s, start-up {result['startup_s']:.2f} s, "
            f"warm-up {result['warm_up_s']:.2f} s, peak RSS {result['peak_rss_mb']:.0f} MB{busy}")


def summarize(measurements: dict, args) -> dict:
    """Medians and ranges per (system, workload), ratios to numpy-mlp and to the GEMM lower bound."""
    bounds = {}
    for name in args.workloads:
        rates = [rate["gflops"] for gemm in measurements["gemm"] for rate in gemm["rates"] if rate["workload"] == name]
        n_samples = WORKLOADS[name].samples(args.quick)
        flops = epoch_flops(WORKLOADS[name], n_samples)
        median_rate = statistics.median(rates)
        bounds[name] = {"n_samples": n_samples, "flops": flops, "gflops": median_rate,
                        "gflops_range": (min(rates), max(rates)), "seconds": flops / (median_rate * 1e9)}

    rows, notes = [], []
    for name in args.workloads:
        baseline = None
        for system in args.systems:
            results = [run for run in measurements["runs"] if run["system"] == system and run["workload"] == name]
            ok = [run for run in results if run.get("status") == "ok"]
            if not ok:
                if results:
                    note = results[-1].get("note")
                    notes.append(f"{system} on {name}: {results[-1].get('status')} ({note})")
                continue
            times = [run["epoch_s"] for run in ok]
            row = {
                "system": system, "label": ok[0]["label"], "workload": name, "rounds": len(ok),
                "epoch_s": statistics.median(times), "epoch_min": min(times), "epoch_max": max(times),
                "samples_per_s": bounds[name]["n_samples"] / statistics.median(times),
                "peak_rss_mb": statistics.median(run["peak_rss_mb"] for run in ok),
                "data_rss_mb": statistics.median(run["data_rss_mb"] for run in ok),
                "startup_s": statistics.median(run["startup_s"] for run in ok),
                "warm_up_s": statistics.median(run["warm_up_s"] for run in ok),
                "loss_before": statistics.median(run["loss_before"] for run in ok),
                "loss_after": statistics.median(run["loss_after"] for run in ok),
                "contention": statistics.median(run.get("contention") or 0 for run in ok),
                "parameter_dtype": ok[0]["parameter_dtype"], "threads": ok[0]["threads"],
                "versions": ok[0]["versions"],
            }
            row["x_lower_bound"] = row["epoch_s"] / bounds[name]["seconds"]
            if system == BASELINE:
                baseline = row["epoch_s"]
            row["x_baseline"] = row["epoch_s"] / baseline if baseline else None
            rows.append(row)
            if ok[0].get("note"):
                notes.append(f"{row['label']} on {name}: {ok[0]['note']}")
            contended = [run for run in ok if (run.get("contention") or 0) > args.max_contention]
            if contended:
                rounds = ", ".join(f"round {run['round']} ({run['contention']:.0%})" for run in contended)
                notes.append(f"{system} on {name}: kept despite other processes' CPU use above "
                             f"{args.max_contention:.0%} after {args.retries} retries: {rounds}; "
                             "the median absorbs such a round, the min-max shows it")
            if len(ok) < len(results):
                failed = next(run for run in results if run.get("status") != "ok")
                notes.append(f"{system} on {name}: {len(results) - len(ok)} of {len(results)} runs failed "
                             f"({failed.get('note')})")
    return {"bounds": bounds, "rows": rows, "notes": notes}


def blas_description(gemm: dict) -> str:
    """One line per BLAS/OpenMP library that NumPy loaded, from threadpoolctl."""
    if not gemm.get("blas"):
        return "unknown (install threadpoolctl to see it)"
    parts = []
    for library in gemm["blas"]:
        kernel = f", kernel {library['architecture']}" if library.get("architecture") else ""
        parts.append(f"{library.get('internal_api')} {library.get('version')} "
                     f"({os.path.basename(library.get('filepath', ''))}{kernel}, "
                     f"{library.get('num_threads')} threads, {library.get('threading_layer', 'n/a')})")
    return "; ".join(parts)


def format_loss(loss: float) -> str:
    return "n/a" if loss != loss else f"{loss:.3f}"  # NaN: scikit-learn has no weights before fit()


def format_seconds(seconds: float) -> str:
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def render(summary: dict, facts: dict, gemm: dict, command: str, args, elapsed: float) -> str:
    """The Markdown block: facts, command, lower bounds, the main table, checks and notes."""
    rows, bounds = summary["rows"], summary["bounds"]
    versions = {}
    for row in rows:
        versions.update(row["versions"])
    version_text = ", ".join(f"{name} {version}" for name, version in sorted(versions.items()))
    overrides = facts["openblas_overrides"]
    if args.unset_openblas_coretype:
        openblas_env = (f"{', '.join(f'{k}={v}' for k, v in overrides.items()) or 'none set'} in the shell; "
                        "removed from the children's environment by --unset-openblas-coretype")
    else:
        openblas_env = (", ".join(f"{k}={v}" for k, v in overrides.items()) + " (measured as set)"
                        if overrides else "not set")
    memory = f"{facts['memory_gib']:.0f} GiB" if facts["memory_gib"] else "unknown"
    lines = [
        f"Command: `{command}` ({args.rounds} round{'s' if args.rounds > 1 else ''}"
        f"{', quick data' if args.quick else ''}; "
        f"took {elapsed / 60:.1f} min).",
        "",
        f"- Machine: {facts['cpu']}, {facts['cores']} cores ({facts['usable_cores']} usable), {memory} RAM, "
        f"{facts['os']}; load average {facts['load_average_at_start']:.2f} at the start.",
        f"- Python {facts['python']}, NumPy {gemm['numpy']}; {version_text}.",
        f"- BLAS behind NumPy: {blas_description(gemm)}.",
        f"- OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE: {openblas_env}.",
        f"- Threads: {args.threads} (torch.set_num_threads; OPENBLAS_NUM_THREADS and OMP_NUM_THREADS for the "
        "others; JAX's CPU client sizes its own pool to the machine).",
        "",
        "GEMM lower bound per epoch (NumPy float32 `matmul` on the workload's own shapes, median over rounds):",
        "",
        "| workload | network | samples | GEMM FLOPs per sample | epoch GFLOP | GEMM rate GFLOP/s (min-max) "
        "| lower bound s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, bound in bounds.items():
        workload = WORKLOADS[name]
        low, high = bound["gflops_range"]
        lines.append(f"| {name} | {workload.describe()} | {bound['n_samples']:,} | "
                     f"{flops_per_sample(workload):,} | {bound['flops'] / 1e9:.2f} | "
                     f"{bound['gflops']:.1f} ({low:.1f}-{high:.1f}) | {bound['seconds']:.3f} |")
    lines += [
        "",
        "One epoch (median over rounds; \"x numpy-mlp\" > 1 means slower than numpy-mlp):",
        "",
        "| system | workload | median epoch s | min-max s | samples/s | peak RSS MB | x numpy-mlp | "
        "x lower bound | start-up s | warm-up s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        ratio = "-" if row["x_baseline"] is None else f"{row['x_baseline']:.2f}"
        lines.append(
            f"| {row['label']} | {row['workload']} | {format_seconds(row['epoch_s'])} | "
            f"{format_seconds(row['epoch_min'])}-{format_seconds(row['epoch_max'])} | "
            f"{row['samples_per_s']:,.0f} | {row['peak_rss_mb']:.0f} | {ratio} | {row['x_lower_bound']:.1f} | "
            f"{row['startup_s']:.2f} | {row['warm_up_s']:.2f} |")
    lines += [
        "",
        "Checks (medians): the loss on 4,096 training samples before and after the epoch shows each "
        "system trains (they start from the same weights, scikit-learn excepted); \"RSS before training\" "
        "is after the imports and the data; \"others' CPU\" is the share of the machine that other "
        "processes used during the epoch.",
        "",
        "| system | workload | loss before -> after | parameters | RSS before training MB | others' CPU | threads |",
        "|---|---|---|---|---:|---:|---|",
    ]
    for row in rows:
        threads = ", ".join(f"{key} {value}" for key, value in (row["threads"] or {}).items())
        losses = f"{format_loss(row['loss_before'])} -> {format_loss(row['loss_after'])}"
        lines.append(f"| {row['label']} | {row['workload']} | {losses} | "
                     f"{row['parameter_dtype']} | {row['data_rss_mb']:.0f} | {row['contention']:.0%} | {threads} |")
    if summary["notes"]:
        lines += ["", "Notes:", ""] + [f"- {note}" for note in summary["notes"]]
    return "\n".join(lines) + "\n"


DOC_SKELETON = """# Performance

How fast numpy-mlp trains, next to PyTorch, JAX and scikit-learn, and next to the machine's limit.
Reproduce with `python bench/run.py` (see bench/README.md).

{begin}
{end}
"""


def write_doc(path: str, block: str) -> None:
    """Replace what lies between the markers (the prose around them is kept); create the file if needed."""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as doc:
            text = doc.read()
    else:
        text = DOC_SKELETON.format(begin=BEGIN_MARKER, end=END_MARKER)
    if BEGIN_MARKER in text and END_MARKER in text:
        head, rest = text.split(BEGIN_MARKER, 1)
        _, tail = rest.split(END_MARKER, 1)
    else:
        head, tail = text.rstrip("\n") + "\n\n", "\n"
    text = f"{head}{BEGIN_MARKER}\n{block}{END_MARKER}{tail}"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = f"{path}.tmp"
    with open(temporary, "w", encoding="utf-8") as doc:
        doc.write(text)
    os.replace(temporary, path)


def reproducing_command(argv: list[str]) -> str:
    """The command line that measures the same, without the options that only say where output goes."""
    kept, skip_value = [], False
    for arg in argv:
        if skip_value:
            skip_value = False
        elif arg in ("--save-json", "--out"):
            skip_value = True
        elif not arg.startswith(("--save-json=", "--out=")):
            kept.append(arg)
    return " ".join(["python bench/run.py", *map(shlex.quote, kept)])


def measure_all(args, log) -> tuple[dict, dict, float]:
    """Machine facts, every measurement, and the seconds they took."""
    facts = machine_facts()
    for name, value in facts["openblas_overrides"].items():
        action = ("removed from the benchmark's children" if args.unset_openblas_coretype
                  else "measured as set; try --unset-openblas-coretype")
        log(f"WARNING: {name}={value} is set: it overrides OpenBLAS's detection of this CPU and can "
            f"slow NumPy down ({action})")
    env = child_environment(args)
    started = time.perf_counter()
    measurements = measure(args, env, log)
    return facts, measurements, time.perf_counter() - started


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)

    def log(message):
        print(message, file=sys.stderr, flush=True)

    if args.from_json:
        saved = args.saved
        facts, elapsed, argv = saved["facts"], saved["elapsed_s"], saved["argv"]
        measurements = {"gemm": saved["gemm"], "runs": saved["runs"]}
    else:
        facts, measurements, elapsed = measure_all(args, log)
    summary = summarize(measurements, args)
    gemm = measurements["gemm"][0]
    log(f"BLAS: {blas_description(gemm)}")
    command = reproducing_command(argv)
    block = render(summary, facts, gemm, command, args, elapsed)
    print(block)
    if args.save_json and not args.from_json:
        with open(args.save_json, "w", encoding="utf-8") as raw:
            json.dump({"facts": facts, "args": vars(args), "argv": argv, "elapsed_s": elapsed, **measurements},
                      raw, indent=1)
    if args.out != "-":
        write_doc(args.out, block)
        log(f"wrote the table into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
