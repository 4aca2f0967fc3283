{
    "name": "Retail Connect - Base",
    "summary": "Channel framework: backends, durable idempotent webhook ingestion, "
    "job processing and replay for retail channels",
    "version": "19.0.1.0.0",
    "category": "Sales/Sales",
    "website": "https://github.com/retail-connect/retail-connect",
    "author": "Retail Connect contributors",
    "license": "LGPL-3",
    "depends": ["sale_management", "stock", "queue_job"],
    "data": [
        "security/retail_connect_security.xml",
        "security/ir.model.access.csv",
        "data/queue_job_channel_data.xml",
        "data/queue_job_function_data.xml",
        "data/ir_cron_data.xml",
        "views/retail_backend_views.xml",
        "views/retail_event_views.xml",
        "views/retail_connect_menus.xml",
    ],
    "application": True,
    "installable": True,
}
