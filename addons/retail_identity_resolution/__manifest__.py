{
    "name": "Retail Connect - Identity Resolution",
    "summary": "One person is one customer across every channel",
    "version": "19.0.1.1.0",
    "category": "Sales/Sales",
    "website": "https://github.com/retail-connect/retail-connect",
    "author": "Retail Connect contributors",
    "license": "LGPL-3",
    "depends": ["retail_connector_base"],
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [],
    "installable": True,
}
