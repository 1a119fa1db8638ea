"""Demo data: realistic, deterministic seller order exports for the demo and the benchmarks."""
