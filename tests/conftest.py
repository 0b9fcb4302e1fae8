"""Suite-wide configuration: pytester, the real-server fixtures, hypothesis profiles.

``HYPOTHESIS_PROFILE=thorough`` runs the property tests with many more examples (locally, or
in a nightly job); the default ``ci`` profile keeps them to seconds.
"""

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from hypothesis import HealthCheck, settings

pytest_plugins = ("pytester",)


def _load_servers() -> ModuleType:
    # tests/ is not a package (import-mode=importlib): load the module by its path.
    spec = importlib.util.spec_from_file_location(
        "telcall_test_servers", Path(__file__).with_name("servers.py")
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


_servers = _load_servers()
redis_server = _servers.redis_server
postgres_server = _servers.postgres_server

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
