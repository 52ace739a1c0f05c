"""The pieces of `scripts/bench`: child processes, an ampmini instance, measurements, the table."""
