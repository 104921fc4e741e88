"""Pure polars analytics for installpulse: baselines, typical change, spikes, event studies,
comparisons, and the one place numbers become text.

Why a separate package: the Streamlit pages, the chart builders and the CLI must all publish the
same numbers with the same words. Keeping the arithmetic here - frame in, frame out, no
streamlit and no duckdb - makes every figure testable by hand on a ten-row series.
"""
