from types import SimpleNamespace


def shopify_settings(**values):
    """A stand-in for the backend settings the Shopify adapter reads, at the
    fields' defaults unless given."""
    defaults = {
        "shopify_shop_domain": False,
        "shopify_client_secret": False,
        "shopify_previous_client_secret": False,
        "shopify_secret_rotated_at": False,
        "shopify_previous_secret_hours": 1.0,
        "shopify_money_side": "presentment_money",
    }
    return SimpleNamespace(**{**defaults, **values})
