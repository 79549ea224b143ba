"""Timing shared by the benchmark scripts: the same rule as the Swift side's BenchTiming
(one untimed warm-up, then the median wall time of `runs` calls; `median_wall_and_cpu` adds the
median CPU time of the calling thread, like `bench mel`'s cpu_median_ms)."""
import statistics
import time


def median_seconds_and_cpu(runs, fn):
    """The median wall time of `runs` calls after one warm-up, and the CPU utilisation of the timed runs:
    process CPU time (all threads) / wall time (2.0 = two cores busy)."""
    fn()  # warm-up, like the Swift side
    times = []
    cpu_start = time.process_time()
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), (time.process_time() - cpu_start) / max(sum(times), 1e-9)


def median_seconds(runs, fn):
    return median_seconds_and_cpu(runs, fn)[0]


def median_wall_and_cpu(runs, fn):
    """(median wall seconds, median thread CPU seconds) of `runs` calls after one warm-up."""
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.thread_time()
        fn()
        cpu.append(time.thread_time() - start_cpu)
        wall.append(time.perf_counter() - start)
    return statistics.median(wall), statistics.median(cpu)
