"""Timing shared by the benchmark scripts: the same rule as the Swift side's BenchTiming
(one untimed warm-up, then the median wall time of `runs` calls)."""
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
