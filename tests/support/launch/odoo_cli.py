"""Odoo's command line, started as a source checkout's ``odoo-bin`` starts it.

The end-to-end tests run Odoo with ``python odoo_cli.py …`` rather than the
``odoo`` console script beside the Python: that script's form depends on the
setuptools that wrote it (an old one goes through ``pkg_resources``, which
fails when any installed distribution's metadata is incomplete), and a source
checkout or the Docker image may have none. Odoo's prefork server re-executes
``sys.argv[0]`` for its gevent worker, so this must be a file, not ``-m odoo``.
"""

import odoo.cli

if __name__ == "__main__":
    odoo.cli.main()
