"""Suite-wide configuration: pytester for the plugin tests, hypothesis profiles.

``HYPOTHESIS_PROFILE=thorough`` runs the property tests with many more examples (locally, or
in a nightly job); the default ``ci`` profile keeps them to seconds.
"""

import os

from hypothesis import HealthCheck, settings

pytest_plugins = ("pytester",)

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile(
    "thorough",
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
