"""bench_peak signs its deliveries a chunk at a time, just before sending them: a
large burst signed up front would send its last deliveries with a timestamp
beyond the webhook's tolerance (refused), and the ledger would count them lost."""

import random
import time

from .bench.bench_peak import SignedBurst, build_burst


def test_deliveries_are_signed_once_per_chunk_when_the_senders_reach_it():
    items = build_burst(random.Random(1), "/x", 3, 4, ["SKU-1"])
    burst = SignedBurst("/retail/webhook/token", items, chunk=3)
    first = burst[0]
    assert burst.signed[:3] != [None] * 3 and burst.signed[3:] == [None] * 4
    assert burst[0] is first  # signed once: the same webhook-id if read again
    time.sleep(1.1)
    late = burst[6]
    assert int(late[3]["webhook-timestamp"]) > int(first[3]["webhook-timestamp"])
    ids = {burst[n][3]["webhook-id"] for n in range(len(burst))}
    assert len(ids) == len(items) == 7
    assert [tier for tier, _payload in items].count("order") == 3
