"""Publishing business events to RabbitMQ with publisher confirms.

The durable topic exchange ``retail.events`` (declared on connection), the
event type as routing key, the event id as ``message_id``, persistent
messages. :func:`publish` returns only once the broker confirmed the message;
anything else raises, so the delivery row is marked sent only after the
confirm. A lost connection is reopened with backoff within the call; the
job's retry policy takes over after that.
"""

import contextlib
import threading
import time

import pika
from pika.exceptions import AMQPError

EXCHANGE = "retail.events"
RECONNECT_DELAYS = (0.2, 0.5, 1.0)
CONNECT_TIMEOUT = 5

_local = threading.local()


class PublishError(Exception):
    """The broker did not confirm the message."""


def _parameters(url, client_name=None):
    parameters = pika.URLParameters(url)
    if client_name:
        # Shown by the broker (rabbitmqctl list_connections client_properties).
        parameters.client_properties = {"connection_name": client_name}
    parameters.socket_timeout = CONNECT_TIMEOUT
    parameters.blocked_connection_timeout = 10
    parameters.connection_attempts = 1
    return parameters


def _channel(url, client_name=None):
    """This thread's confirmed channel to ``url``, opened if needed."""
    channels = getattr(_local, "channels", None)
    if channels is None:
        channels = _local.channels = {}
    channel = channels.get(url)
    if channel is not None and channel.is_open and channel.connection.is_open:
        return channel
    connection = pika.BlockingConnection(_parameters(url, client_name))
    channel = connection.channel()
    channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
    channel.confirm_delivery()
    channels[url] = channel
    return channel


def close(url=None):
    """Close this thread's connections (all, or the one to ``url``)."""
    channels = getattr(_local, "channels", {})
    for key in [url] if url else list(channels):
        channel = channels.pop(key, None)
        if channel is not None:
            with contextlib.suppress(AMQPError, OSError):
                channel.connection.close()


def publish(
    url,
    routing_key,
    message_id,
    body,
    timestamp=None,
    headers=None,
    client_name=None,
    sleep=time.sleep,
):
    """Publish one persistent message and wait for the broker's confirm.

    :raise PublishError: after the reconnections failed or on a nack
    """
    properties = pika.BasicProperties(
        content_type="application/json",
        delivery_mode=pika.DeliveryMode.Persistent,
        message_id=message_id,
        type=routing_key,
        timestamp=int(timestamp) if timestamp else None,
        headers=headers or None,
    )
    last_error = None
    for delay in (0, *RECONNECT_DELAYS):
        if delay:
            sleep(delay)
        try:
            channel = _channel(url, client_name)
            channel.basic_publish(EXCHANGE, routing_key, body, properties)
            return
        except pika.exceptions.NackError as exc:
            raise PublishError(f"the broker refused the message ({exc})") from None
        except (AMQPError, OSError) as exc:
            last_error = exc
            close(url)
    raise PublishError(f"RabbitMQ unreachable: {type(last_error).__name__} {last_error}")
