"""Business events out: what happened in Odoo, told to other systems.

Plain Python (no ORM), tested without a database:

- ``catalogue.py``: the event types, what each is about, who may hear it;
- ``envelope.py``: the event as it travels (pydantic, canonical objects
  inside), and the JSON Schemas published in ``docs/events/``;
- ``address_guard.py``: which network addresses a webhook may reach (SSRF);
- ``http_sender.py``: one signed POST to the address that was checked;
- ``amqp_publisher.py``: publishing to RabbitMQ with publisher confirms.

The models (``models/retail_business_event*.py``) write events in the
transaction of the change and deliver them with queue_job.
"""
