"""The worker under a supervisor that restarts it with backoff (`python -m local_stack.worker`)."""
