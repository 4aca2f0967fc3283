import hmac

from prometheus_client import CONTENT_TYPE_LATEST

from odoo import SUPERUSER_ID, http
from odoo.http import request

from ..metrics import SnapshotCollector, render
from ..models.res_config_settings import METRICS_TOKEN_PARAM


class RetailMetricsController(http.Controller):
    @http.route(
        "/retail/metrics",
        type="http",
        auth="none",
        methods=["GET"],
        save_session=False,
        readonly=True,
    )
    def retail_metrics(self, **kwargs):
        """The latest metrics snapshot in Prometheus text format, for the
        bearer of the metrics token set in Settings (none set: nobody)."""
        if not request.db:
            return request.make_response("database unavailable\n", status=503)
        request.update_env(user=SUPERUSER_ID)
        expected = request.env["ir.config_parameter"].get_param(METRICS_TOKEN_PARAM) or ""
        header = request.httprequest.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        if not (
            expected
            and scheme.lower() == "bearer"
            and hmac.compare_digest(token.strip().encode(), expected.encode())
        ):
            return request.make_response(
                "a valid metrics token is required\n",
                status=401,
                headers=[("WWW-Authenticate", 'Bearer realm="retail-metrics"')],
            )
        rows, taken_at = request.env["retail.metric.snapshot"]._get_latest_rows()
        return request.make_response(
            render(SnapshotCollector(rows, taken_at)),
            headers=[("Content-Type", CONTENT_TYPE_LATEST), ("Cache-Control", "no-store")],
        )
