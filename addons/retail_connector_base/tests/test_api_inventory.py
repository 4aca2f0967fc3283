from odoo.tests import tagged

from .api_common import ApiCase


@tagged("post_install", "-at_install")
class TestApiInventory(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.second = cls.env["stock.warehouse"].create({"name": "North", "code": "NTH"})
        cls.tshirt.is_storable = True
        cls.mug.is_storable = True
        Quant = cls.env["stock.quant"]
        Quant._update_available_quantity(cls.tshirt, cls.warehouse.lot_stock_id, 12)
        Quant._update_available_quantity(cls.tshirt, cls.second.lot_stock_id, 3.5)
        Quant._update_available_quantity(cls.mug, cls.warehouse.lot_stock_id, 5)
        # Reserved units are not available to sell.
        Quant._update_reserved_quantity(cls.mug, cls.warehouse.lot_stock_id, 2)

    def levels(self, response):
        self.assertEqual(response.status_code, 200, response.text)
        return {
            (lv["sku"], lv["location_code"]): lv["available"] for lv in response.json()["levels"]
        }

    def test_available_per_sku_and_warehouse(self):
        response = self.call("GET", "/inventory?sku=TSHIRT-M&sku=MUG&sku=NOPE")
        self.assertEqual(
            self.levels(response),
            {
                ("TSHIRT-M", self.warehouse.code): 12,
                ("TSHIRT-M", "NTH"): 3,
                ("MUG", self.warehouse.code): 3,
                ("MUG", "NTH"): 0,
            },
        )
        self.assertEqual(response.json()["unknown_skus"], ["NOPE"])

    def test_agrees_with_what_stock_exports_send(self):
        levels = self.levels(self.call("GET", "/inventory?sku=MUG&sku=TSHIRT-M"))
        for product in (self.mug, self.tshirt):
            self.backend.warehouse_id = self.warehouse
            exported = self.backend._get_available_quantity(product)
            self.assertEqual(levels[(product.default_code, self.warehouse.code)], int(exported))

    def test_backend_warehouse_limits_the_answer(self):
        self.backend.warehouse_id = self.second
        self.assertEqual(
            self.levels(self.call("GET", "/inventory?sku=TSHIRT-M")), {("TSHIRT-M", "NTH"): 3}
        )

    def test_deprecated_comma_list_still_answers_with_deprecation_headers(self):
        response = self.call("GET", "/inventory?skus=TSHIRT-M,MUG")
        self.assertEqual(len(self.levels(response)), 4)
        self.assertTrue(response.headers["Deprecation"].startswith("@"))
        self.assertTrue(response.headers["Sunset"].endswith("GMT"))
        self.assertNotIn("Deprecation", self.call("GET", "/inventory?sku=MUG").headers)

    def test_sku_list_is_required_and_bounded(self):
        self.assertProblem(self.call("GET", "/inventory"), 400, "missing-criteria")
        many = "&".join(f"sku=S{i}" for i in range(201))
        problem = self.assertProblem(self.call("GET", f"/inventory?{many}"), 422, "validation")
        self.assertEqual(problem["errors"][0]["field"], "sku")
