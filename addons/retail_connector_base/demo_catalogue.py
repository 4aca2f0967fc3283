"""What the demo channel sells (``retail.backend._create_demo_channel``).

The simulator (tools/demo_channel) receives this catalogue from the
bootstrap's output, never from here: it does not import Odoo.
"""

DEMO_BACKEND_NAME = "Demo shop (simulated)"
# A sales tax excluded from the prices, found or created in the company.
DEMO_TAX_PERCENT = 8.0
# (SKU, name, unit price): real-looking goods of a homeware shop.
DEMO_PRODUCTS = (
    ("MUG-CER-350-WH", "Ceramic mug 350 ml, white", "12.90"),
    ("MUG-CER-350-SG", "Ceramic mug 350 ml, sage green", "12.90"),
    ("TEA-EGB-100", "Earl Grey loose-leaf tea, 100 g", "8.50"),
    ("CANDLE-SOY-FIG", "Soy wax candle, fig and cedar", "24.00"),
    ("TOTE-CANVAS-NAT", "Canvas tote bag, natural", "18.00"),
    ("TSH-ORG-M-NAVY", "Organic cotton T-shirt, M, navy", "29.00"),
    ("TSH-ORG-L-NAVY", "Organic cotton T-shirt, L, navy", "29.00"),
    ("BLANKET-WOOL-GRY", "Merino wool throw, grey", "89.00"),
    ("NOTEBOOK-A5-DOT", "A5 dot-grid notebook", "14.50"),
    ("BOTTLE-STEEL-750", "Insulated steel bottle 750 ml", "32.00"),
)
