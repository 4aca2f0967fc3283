{
    "name": "Retail Connect - Shopify",
    "summary": "Shopify stores as Retail Connect channels: verified webhooks, "
    "orders, customers and refunds in; fulfillment and stock out",
    "version": "19.0.1.4.0",
    "category": "Sales/Sales",
    "website": "https://github.com/retail-connect/retail-connect",
    "author": "Retail Connect contributors",
    "license": "LGPL-3",
    "depends": ["retail_connector_base", "stock_delivery"],
    "data": [
        "security/ir.model.access.csv",
        "security/retail_shopify_compliance_security.xml",
        "data/ir_cron_data.xml",
        "views/retail_backend_views.xml",
        "views/retail_shopify_compliance_views.xml",
    ],
    "installable": True,
}
