"""Timing shared by the benchmark scripts: the same rule as the Swift side's BenchTiming
(one untimed warm-up, then the median wall time of `runs` calls)."""
import statistics
import time


def median_seconds(runs, fn):
    fn()  # warm-up, like the Swift side
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
