"""One Redis subscription per web process for the live dashboards: a daemon thread hears each watched user's
channel (app.adapters.events) and hands every event to that user's open streams in this process."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from queue import SimpleQueue

from redis import Redis
from redis.client import PubSub
from redis.exceptions import RedisError

from app.adapters.events import channel, user_of_channel

log = logging.getLogger(__name__)

# How long the listener waits on Redis before it looks for streams that opened or closed. redis-py's PubSub is
# not thread-safe, so only the listener's own thread sends SUBSCRIBE and UNSUBSCRIBE; a new stream waits this
# long at most (plus a round trip) to be heard. 20 wake-ups a second cost nothing next to one webhook.
LOOK_SECONDS = 0.05
# After Redis fails the listener tries again after this long, doubling up to the last figure.
FIRST_RETRY_SECONDS, LAST_RETRY_SECONDS = 0.5, 5.0

# Put in a stream's inbox when its user's channel is heard again after Redis was lost (or first heard after the
# stream had opened): whatever was published in between is gone, so the page should fetch its parts again.
HEARD_AGAIN = object()


class Subscriber:
    """One open stream: its user, its inbox of events (JSON text, or HEARD_AGAIN), and whether Redis hears its
    user's channel yet."""

    def __init__(self, user_id: int):
        self.user_id = user_id
        self.inbox: SimpleQueue[str | object] = SimpleQueue()
        self.heard = threading.Event()
        self.opened = False


class Listener:
    """The streams of one web process, by user, and the one PubSub connection that hears their users' channels.

    The connection comes from the process's Redis pool (it counts in REDIS_MAX_CONNECTIONS) and goes back to
    it when no stream is open. The thread starts with the first stream, after gunicorn has forked.
    """

    def __init__(self, redis: Redis):
        self.redis = redis
        self.streams: dict[int, set[Subscriber]] = {}
        self.heard: set[int] = set()  # users whose channel Redis has confirmed on the present connection
        self.lock = threading.Lock()
        self.changed = threading.Event()
        self.thread: threading.Thread | None = None
        self.retry = FIRST_RETRY_SECONDS

    def join(self, user_id: int) -> Subscriber:
        """A new stream for the user; its `heard` is set once an event published from now on reaches it."""
        subscriber = Subscriber(user_id)
        with self.lock:
            self.streams.setdefault(user_id, set()).add(subscriber)
            if user_id in self.heard:
                subscriber.heard.set()
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="live-listener", daemon=True)
                self.thread.start()
        self.changed.set()
        return subscriber

    def open(self, subscriber: Subscriber) -> None:
        """The stream is about to tell the browser it is open: from now on, being heard late means a resync."""
        with self.lock:
            subscriber.opened = True

    def leave(self, subscriber: Subscriber) -> None:
        with self.lock:
            streams = self.streams.get(subscriber.user_id, set())
            streams.discard(subscriber)
            if not streams:
                self.streams.pop(subscriber.user_id, None)
        self.changed.set()

    def stream_count(self) -> int:
        with self.lock:
            return sum(len(streams) for streams in self.streams.values())

    def _watched(self) -> set[int]:
        with self.lock:
            return set(self.streams)

    def _run(self) -> None:
        while True:
            self.changed.wait()
            if not self._watched():
                self.changed.clear()
                continue
            pubsub = self.redis.pubsub()
            try:
                self._relay(pubsub)
            except RedisError as error:
                log.warning("live dashboards lost Redis (%s); listening again in %.1f s", type(error).__name__,
                            self.retry)
                time.sleep(self.retry)
                self.retry = min(self.retry * 2, LAST_RETRY_SECONDS)
                self.changed.set()
            finally:
                pubsub.reset()  # closes the connection, which ends every subscription, and gives it back to the pool
                with self.lock:
                    self.heard.clear()

    def _relay(self, pubsub: PubSub) -> None:
        """Keep the subscriptions to the watched users and relay their events; return once nobody watches."""
        subscribed: set[int] = set()
        unconfirmed: Counter[int] = Counter()
        while True:
            if self.changed.is_set():
                self.changed.clear()
                watched = self._watched()
                if not watched:
                    return
                if new := watched - subscribed:
                    pubsub.subscribe(*(channel(user_id, self.redis) for user_id in new))
                    subscribed |= new
                    unconfirmed.update(new)
                if gone := subscribed - watched:
                    pubsub.unsubscribe(*(channel(user_id, self.redis) for user_id in gone))
                    subscribed -= gone
                    with self.lock:
                        self.heard -= gone
            message = pubsub.get_message(timeout=LOOK_SECONDS)
            if message is None:
                continue
            user_id = user_of_channel(message["channel"])
            if message["type"] == "subscribe":
                # Redis confirms each SUBSCRIBE in order; redis-py re-subscribes by itself after a reconnect.
                unconfirmed[user_id] -= 1
                if unconfirmed[user_id] <= 0 and user_id in subscribed:
                    del unconfirmed[user_id]
                    self._hear(user_id)
            elif message["type"] == "message":
                data = message["data"]
                self._deliver(user_id, data.decode() if isinstance(data, bytes) else data)

    def _hear(self, user_id: int) -> None:
        """Redis now relays the user's events; a stream already open may have missed some meanwhile."""
        self.retry = FIRST_RETRY_SECONDS  # Redis answers again: the next outage starts from the first wait
        with self.lock:
            self.heard.add(user_id)
            for subscriber in self.streams.get(user_id, ()):
                if subscriber.opened:
                    subscriber.inbox.put(HEARD_AGAIN)
                subscriber.heard.set()

    def _deliver(self, user_id: int, event: str) -> None:
        with self.lock:
            subscribers = list(self.streams.get(user_id, ()))
        for subscriber in subscribers:
            subscriber.inbox.put(event)
