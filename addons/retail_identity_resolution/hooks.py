def post_init_hook(env):
    """Keep the own email, phone and address of every existing contact as its
    identity keys (customers are searched by them)."""
    env["res.partner"]._retail_backfill_identity_keys()
