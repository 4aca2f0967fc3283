"""The end-to-end launcher starts Odoo on any install (issue: an ``odoo`` console
script written by an old setuptools goes through ``pkg_resources`` and dies)."""

import os
import subprocess

from .support.odoo_server import odoo_command, settings

BROKEN_SCRIPT = """\
raise SystemExit(
    "pkg_resources.DistributionNotFound: The 'zope.interface' distribution was not found "
    "and is required by gevent"
)
"""


def test_odoo_starts_whatever_console_script_lies_beside_the_python(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python = bin_dir / "python3"
    python.symlink_to(os.path.realpath(settings()["python"]))
    (bin_dir / "odoo").write_text(BROKEN_SCRIPT)

    started = subprocess.run(
        [*odoo_command(str(python)), "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith("Odoo Server 19."), started.stdout
