import base64
import time

from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged

from ..adapters.base import EventValues

SECRET = "whsec_" + base64.b64encode(b"race-secret-of-thirty-two-bytes!").decode()


@tagged("post_install", "-at_install")
class TestEventInsertRace(TransactionCase):
    """Two deliveries of one event in two transactions, the second one's
    snapshot taken before the first commits (what 50 concurrent senders do)."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            backend = env["retail.backend"].create(
                {"name": "Race", "code": "generic", "webhook_secret": SECRET}
            )
            backend.action_activate()
            self.backend_id = backend.id
        self.addCleanup(self._drop_backend)

    def _drop_backend(self):
        # Committed rows: removed for good, even when a concurrent transaction
        # (Odoo's own, in the test server) makes one attempt a serialization failure.
        for attempt in range(5):
            try:
                with self.registry.cursor() as cr:
                    cr.execute(
                        "DELETE FROM queue_job WHERE id IN "
                        "(SELECT job_id FROM retail_event WHERE backend_id = %s)",
                        (self.backend_id,),
                    )
                    cr.execute("DELETE FROM retail_event WHERE backend_id = %s", (self.backend_id,))
                    cr.execute("DELETE FROM retail_backend WHERE id = %s", (self.backend_id,))
                return
            except SerializationFailure:
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def _insert(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        settings = env["retail.backend"].browse(self.backend_id)._get_settings()
        values = EventValues(event_key="msg_race", topic="note.created", headers={})
        return env["retail.event"]._insert_idempotent(settings, values, b'{"type": "x"}')

    def test_the_late_duplicate_is_retried_by_odoo_without_a_bad_query_in_the_log(self):
        with self.registry.cursor() as late_cr:
            late_cr.execute("SELECT 1")  # the late request's snapshot starts here
            with self.registry.cursor() as early_cr:
                self.assertTrue(self._insert(early_cr))
            with (
                self.assertNoLogs("odoo.sql_db", "ERROR"),
                self.assertRaises(SerializationFailure),
            ):
                self._insert(late_cr)
            late_cr.rollback()
        # Odoo's retry of the late request: a new snapshot, the key is known.
        with self.registry.cursor() as retry_cr:
            self.assertFalse(self._insert(retry_cr))
            retry_cr.execute(
                "SELECT count(*), count(job_id) FROM retail_event WHERE backend_id = %s",
                (self.backend_id,),
            )
            self.assertEqual(retry_cr.fetchone(), (1, 1))
