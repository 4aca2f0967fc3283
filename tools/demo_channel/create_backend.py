# Run inside Odoo: odoo shell -d <database> < tools/demo_channel/create_backend.py
# Creates (or finds again) the demo backend and its products, then writes the
# simulator's configuration to $RETAIL_DEMO_CONFIG (demo-channel.json).
import json
import os

path = os.environ.get("RETAIL_DEMO_CONFIG", "demo-channel.json")
config = env["retail.backend"]._create_demo_channel()  # noqa: F821 (odoo shell's env)
env.cr.commit()  # noqa: F821
with open(path, "w", encoding="utf-8") as handle:
    json.dump(config, handle, indent=2)
print(f"Demo backend {config['backend']!r} ready; simulator configuration in {path}")
