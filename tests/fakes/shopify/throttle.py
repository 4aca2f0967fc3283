"""Shopify's cost-based throttling: a leaky bucket of query cost points."""

import math
import threading
import time


class CostBucket:
    """Shopify's leaky bucket of query cost points for one app on one shop."""

    def __init__(self, maximum_available=1000, restore_rate=100):
        self.maximum_available = float(maximum_available)
        self.restore_rate = float(restore_rate)
        self._available = self.maximum_available
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def _refill(self):
        now = time.monotonic()
        elapsed = now - self._updated
        self._available = min(self.maximum_available, self._available + elapsed * self.restore_rate)
        self._updated = now

    @property
    def available(self):
        with self._lock:
            self._refill()
            return self._available

    def set_available(self, points):
        """Drain (or fill) the bucket, e.g. ``set_available(0)``."""
        with self._lock:
            self._refill()
            self._available = max(0.0, min(self.maximum_available, float(points)))

    def take(self, points):
        with self._lock:
            self._refill()
            if self._available < points:
                return False
            self._available -= points
            return True

    def give_back(self, points):
        with self._lock:
            self._refill()
            self._available = min(self.maximum_available, self._available + points)

    def seconds_until(self, points):
        with self._lock:
            self._refill()
            missing = max(0.0, points - self._available)
            return missing / self.restore_rate if self.restore_rate else math.inf

    def status(self):
        with self._lock:
            self._refill()
            return {
                "maximumAvailable": self.maximum_available,
                "currentlyAvailable": int(self._available),
                "restoreRate": self.restore_rate,
            }
