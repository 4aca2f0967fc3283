import unittest

from .. import exports


class TestStockExports(unittest.TestCase):
    """The payloads of a full stock resync, without a database."""

    def test_inventory_items_by_sku_keeps_every_variant_of_a_sku(self):
        nodes = [
            {"sku": "A", "inventoryItem": {"id": "item-1"}},
            {"sku": "A", "inventoryItem": {"id": "item-2"}},
            {"sku": "A", "inventoryItem": {"id": "item-2"}},
            {"sku": "", "inventoryItem": {"id": "item-3"}},
            {"sku": "B", "inventoryItem": None},
        ]
        self.assertEqual(exports.inventory_items_by_sku(nodes), {"A": ["item-1", "item-2"]})

    def test_inventory_set_many_sets_each_item_with_a_stable_key(self):
        quantities = [("item-1", 3), ("item-2", 0)]
        first = exports.inventory_set_many_variables(9, 0, quantities, "L")
        self.assertEqual(
            first["input"]["quantities"],
            [
                {
                    "inventoryItemId": "item-1",
                    "locationId": "L",
                    "quantity": 3,
                    "changeFromQuantity": None,
                },
                {
                    "inventoryItemId": "item-2",
                    "locationId": "L",
                    "quantity": 0,
                    "changeFromQuantity": None,
                },
            ],
        )
        self.assertEqual(first, exports.inventory_set_many_variables(9, 0, quantities, "L"))
        changed = exports.inventory_set_many_variables(9, 0, [("item-1", 4)], "L")
        self.assertNotEqual(first["idempotencyKey"], changed["idempotencyKey"])
        other_call = exports.inventory_set_many_variables(9, 250, quantities, "L")
        self.assertNotEqual(first["idempotencyKey"], other_call["idempotencyKey"])
