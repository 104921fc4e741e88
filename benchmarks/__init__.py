"""installpulse benchmark harness: data generator, measurement helpers and benchmarks.

Run ``python -m benchmarks.run --size S`` (or ``make bench``); see benchmarks/README.md.
"""
