"""``python -m benchmarks [name ...]``: run the named benchmarks (default: all)."""

from __future__ import annotations

import importlib
import sys

from benchmarks.runner import report

BENCHMARKS = {
    "api_token_auth": "benchmarks.bench_api_token_auth",
    "import_orders": "benchmarks.bench_import_orders",
    "autoreply": "benchmarks.bench_autoreply",
    "messages_batch": "benchmarks.bench_messages_batch",
    "analytics": "benchmarks.bench_analytics",
    "analytics_store": "benchmarks.bench_analytics_store",
    "points": "benchmarks.bench_points",
    "grab": "benchmarks.bench_grab",
    "surge": "benchmarks.bench_surge",
    "outreach": "benchmarks.bench_outreach",
    "content": "benchmarks.bench_content",
    "wecom": "benchmarks.bench_wecom",
    "live": "benchmarks.bench_live",
    "referral": "benchmarks.bench_referral",
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    for name in names:
        module = importlib.import_module(BENCHMARKS[name])
        results = module.run()  # one Result, or one per store
        for result in results if isinstance(results, list) else [results]:
            report(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
