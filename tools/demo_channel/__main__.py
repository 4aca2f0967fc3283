"""``python -m tools.demo_channel --config demo.json [--count N] [--rate R]``:
post the demo shop's messages to the demo backend and print each answer."""

import argparse
import json
import os
import sys
import time
from collections import Counter

from .scenario import DemoShop
from .sender import Sender, wait_for_odoo, webhook_url


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m tools.demo_channel",
        description="Post signed orders, customer updates, duplicates, refunds, "
        "cancellations and a few bad messages to Retail Connect's demo backend.",
    )
    parser.add_argument(
        "--config",
        default=os.environ.get("RETAIL_DEMO_CONFIG", "demo-channel.json"),
        help="the JSON printed by create_backend.py ($RETAIL_DEMO_CONFIG)",
    )
    parser.add_argument(
        "--odoo-url",
        help="Odoo's address as this machine reaches it ($RETAIL_DEMO_ODOO_URL; "
        "default: the webhook URL Odoo computed)",
    )
    parser.add_argument(
        "--count",
        type=int,
        default=int(os.environ.get("RETAIL_DEMO_COUNT", "0")),
        help="stop after this many messages (0: until interrupted)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=float(os.environ.get("RETAIL_DEMO_RATE", "0.5")),
        help="messages per second (0: as fast as Odoo answers)",
    )
    parser.add_argument("--seed", type=int, help="the same seed sends the same mix")
    parser.add_argument(
        "--wait", type=int, default=0, help="wait this many seconds for Odoo to answer first"
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    with open(args.config, encoding="utf-8") as handle:
        config = json.load(handle)
    url = webhook_url(config, args.odoo_url)
    if args.wait:
        wait_for_odoo(url.split("/retail/webhook/")[0], args.wait)
    shop = DemoShop(config, seed=args.seed)
    sender = Sender(url, config["secret"])
    print(f"Demo channel → {config['backend']} at {url}", flush=True)
    answers = Counter()
    unexpected = 0
    try:
        while not args.count or shop.count < args.count:
            message = shop.next_message()
            status, text = sender.send(message)
            answers[message.kind, status] += 1
            mark = "" if status == message.expected_status else "   <-- UNEXPECTED"
            unexpected += bool(mark)
            print(
                f"{message.number:4d} {message.topic:<16} {message.summary}\n"
                f"     → {status} {text}{mark}",
                flush=True,
            )
            if args.rate:
                time.sleep(1 / args.rate)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    print(f"sent {shop.count} message(s), {unexpected} unexpected answer(s):", flush=True)
    for (kind, status), count in sorted(answers.items()):
        print(f"  {kind:<16} {status} x {count}", flush=True)
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
