"""The container's entry point runs the Procfile's own lines, so a Docker deploy runs what the PaaS runs.

No Docker engine runs here (docs/architecture.md says so): the image's build is checked by reading the
Dockerfile, and its entry point by running it.
"""

from __future__ import annotations

import re
import subprocess

from tests.support.paas import dyno_environment
from tests.support.paths import ROOT

ENTRY = str(ROOT / "bin" / "run-process")


def run_process(*arguments: str, **config: str) -> subprocess.CompletedProcess:
    return subprocess.run([ENTRY, *arguments], cwd="/", env=dyno_environment(config, "run.1"), capture_output=True,
                          text=True, timeout=120, check=False)


def test_the_entry_point_runs_the_release_line_of_the_procfile(tmp_path):
    release = run_process("release", APP_ENV="development", DATABASE_URL=f"sqlite:///{tmp_path}/release.sqlite3",
                          SECRET_KEY="test-only-secret-key", TOKEN_ENCRYPTION_KEY="test-only-" + "k" * 32)
    assert release.returncode == 0, release.stderr
    assert "Running upgrade" in release.stderr


def test_an_unknown_process_type_is_refused_naming_the_ones_there_are():
    refused = run_process("web; rm -rf /")
    assert refused.returncode == 64
    assert "No process type 'web; rm -rf /' in the Procfile; it has: release web worker" in refused.stderr


def test_the_image_installs_exactly_the_hash_checked_lock_and_enters_through_the_procfile():
    dockerfile = (ROOT / "Dockerfile").read_text()
    install = re.search(r"^RUN pip install (.*)-r requirements\.txt && pip check$", dockerfile, re.MULTILINE)
    assert install, "the image installs requirements.txt and checks it with pip check"
    assert {"--no-deps", "--require-hashes"} <= set(install.group(1).split()), "nothing resolved against the index"
    assert 'ENTRYPOINT ["bin/run-process"]' in dockerfile and 'CMD ["web"]' in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.MULTILINE), "the container does not run as root"


def test_nothing_secret_or_local_goes_into_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".git", ".venv", "instance/"} <= ignored
