{
    "name": "Retail Connect - Marketplace (Mirakl)",
    "summary": "Seller accounts on Mirakl-style marketplaces as Retail Connect channels",
    "version": "19.0.1.3.0",
    "category": "Sales/Sales",
    "website": "https://github.com/retail-connect/retail-connect",
    "author": "Retail Connect contributors",
    "license": "LGPL-3",
    "depends": ["retail_connector_base", "stock_delivery"],
    "external_dependencies": {"python": ["pycountry"]},
    "data": [
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/queue_job_function_data.xml",
        "views/retail_backend_views.xml",
        "views/sale_order_views.xml",
    ],
    "installable": True,
}
