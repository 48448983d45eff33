"""Shared pytest configuration: hypothesis profiles.

``MAXENT_HYPOTHESIS_PROFILE`` selects one: ``ci`` (default; deterministic and quick),
``dev`` (random, a few more examples), ``thorough`` (many examples, for a long run) or
``adversarial`` (random, 300 examples: a manual or nightly run of tests/adversarial).
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=40,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=60)
settings.register_profile(
    "thorough", deadline=None, max_examples=1000, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "adversarial", deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("MAXENT_HYPOTHESIS_PROFILE", "ci"))
