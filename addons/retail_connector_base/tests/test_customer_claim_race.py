from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged

from ..schemas import Customer

EXTERNAL_ID = "claim-race-customer-1"


@tagged("post_install", "-at_install")
class TestCustomerClaimRace(TransactionCase):
    """A new customer's record and her first order arrive at once (Shopify
    sends ``customers/create`` and ``orders/create`` together): two workers
    resolve the same channel customer in two real transactions, the second
    one's snapshot taken before the first one committed.

    With an advisory lock then a lookup, the second one did not see the
    first one's binding, created a second contact and failed on the
    binding's unique key (a ``bad query`` in Odoo's log). A claimed binding
    makes it a serialization failure, retried by the event's processing,
    and nothing is logged; the retry finds the first one's customer.
    """

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            backend = env["retail.backend"].create({"name": "Customer race", "code": "none"})
            self.backend_id = backend.id
        self.addCleanup(self._drop_committed_rows)

    def _drop_committed_rows(self):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT res_id FROM retail_binding WHERE backend_id = %s AND res_model = "
                "'res.partner'",
                (self.backend_id,),
            )
            partner_ids = tuple(row[0] for row in cr.fetchall() if row[0]) or (0,)
            cr.execute("DELETE FROM retail_binding WHERE backend_id = %s", (self.backend_id,))
            cr.execute("SELECT to_regclass('retail_identity_key')")
            if cr.fetchone()[0]:  # what identity resolution, where installed, kept
                cr.execute("DELETE FROM retail_identity_key WHERE partner_id IN %s", (partner_ids,))
                cr.execute(
                    "DELETE FROM retail_identity_decision WHERE backend_id = %s",
                    (self.backend_id,),
                )
            cr.execute("DELETE FROM res_partner WHERE name = 'Clara Race'")
            cr.execute("DELETE FROM retail_backend WHERE id = %s", (self.backend_id,))

    def _resolve(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        backend = env["retail.backend"].browse(self.backend_id)
        customer = Customer(
            external_id=EXTERNAL_ID,
            first_name="Clara",
            last_name="Race",
        )
        partner = env["retail.partner.resolver"]._resolve(backend, customer)
        env.flush_all()
        return partner.id

    def _customers(self, cr):
        cr.execute(
            "SELECT count(*), min(res_id) FROM retail_binding "
            "WHERE backend_id = %s AND res_model = 'res.partner'",
            (self.backend_id,),
        )
        bindings, bound = cr.fetchone()
        cr.execute("SELECT count(*) FROM res_partner WHERE name = 'Clara Race'")
        return bindings, bound, cr.fetchone()[0]

    def test_a_late_twin_is_retried_without_a_unique_violation_or_a_second_customer(self):
        with self.registry.cursor() as late_cr:
            late_cr.execute("SELECT 1")  # the late worker's snapshot starts here
            with self.registry.cursor() as early_cr:
                first = self._resolve(early_cr)
            with (
                self.assertNoLogs("odoo.sql_db", "ERROR"),
                self.assertRaises(SerializationFailure),
            ):
                self._resolve(late_cr)
            late_cr.rollback()
        with self.registry.cursor() as retry_cr:
            self.assertEqual(self._resolve(retry_cr), first)
            self.assertEqual(self._customers(retry_cr), (1, first, 1))
