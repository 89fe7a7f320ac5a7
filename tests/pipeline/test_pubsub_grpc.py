"""Pub/Sub wiring against an in-process gRPC server speaking the real Pub/Sub API.

No Pub/Sub emulator can run here (it is a Java download), so this is the
smallest honest substitute: a gRPC server implementing the
``google.pubsub.v1.Publisher`` and ``google.pubsub.v1.Subscriber`` methods the
clients call, with the request and response protos of the installed
``google-cloud-pubsub``. The clients are the real ones, pointed at it by
``PUBSUB_EMULATOR_HOST`` exactly as at an emulator; Beam's ``ReadFromPubSub``
and ``WriteToPubSub`` on the DirectRunner (streaming) use them unchanged.
What it does not model: ack deadlines and redelivery, ordering keys,
flow control, the service's watermark.
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import json
import threading
import time
from concurrent import futures

import apache_beam as beam
import grpc
import pytest
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from google.protobuf import empty_pb2
from google.pubsub_v1 import types as ps

from veilwatch.pipelines.anonymize_pipeline import build_pipeline
from veilwatch.transforms.config_loading.loader import parse_config

pytestmark = pytest.mark.pipeline

PROJECT = "veilwatch-test"
IN_TOPIC = f"projects/{PROJECT}/topics/payments-in"
IN_SUBSCRIPTION = f"projects/{PROJECT}/subscriptions/payments-in"
OUT_TOPIC = f"projects/{PROJECT}/topics/payments-anonymized"


class FakePubSub:
    """Topics, subscriptions and their queues in memory, served over gRPC on 127.0.0.1."""

    def __init__(self) -> None:
        self.topics: dict[str, list[str]] = {}  # topic -> subscriptions
        self.published: dict[str, list[ps.PubsubMessage]] = collections.defaultdict(list)
        self.queues: dict[str, collections.deque] = {}
        self.outstanding: dict[str, ps.PubsubMessage] = {}
        self.calls: collections.Counter = collections.Counter()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        unary = grpc.unary_unary_rpc_method_handler
        empty = {"response_serializer": empty_pb2.Empty.SerializeToString}
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        self._server.add_generic_rpc_handlers(
            (
                grpc.method_handlers_generic_handler(
                    "google.pubsub.v1.Publisher",
                    {
                        "CreateTopic": unary(self._create_topic, ps.Topic.deserialize, ps.Topic.serialize),
                        "GetTopic": unary(
                            self._get_topic, ps.GetTopicRequest.deserialize, ps.Topic.serialize
                        ),
                        "Publish": unary(
                            self._publish, ps.PublishRequest.deserialize, ps.PublishResponse.serialize
                        ),
                    },
                ),
                grpc.method_handlers_generic_handler(
                    "google.pubsub.v1.Subscriber",
                    {
                        "CreateSubscription": unary(
                            self._create_subscription, ps.Subscription.deserialize, ps.Subscription.serialize
                        ),
                        "GetSubscription": unary(
                            self._get_subscription,
                            ps.GetSubscriptionRequest.deserialize,
                            ps.Subscription.serialize,
                        ),
                        "DeleteSubscription": unary(
                            self._delete_subscription, ps.DeleteSubscriptionRequest.deserialize, **empty
                        ),
                        "Pull": unary(self._pull, ps.PullRequest.deserialize, ps.PullResponse.serialize),
                        "Acknowledge": unary(self._acknowledge, ps.AcknowledgeRequest.deserialize, **empty),
                        "ModifyAckDeadline": unary(
                            self._modify_ack_deadline, ps.ModifyAckDeadlineRequest.deserialize, **empty
                        ),
                    },
                ),
            )
        )
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()

    def stop(self) -> None:
        self._server.stop(grace=None)

    # -- Publisher ----------------------------------------------------------------------------
    def _create_topic(self, topic, context):
        self.calls["CreateTopic"] += 1
        with self._lock:
            if topic.name in self.topics:
                context.abort(grpc.StatusCode.ALREADY_EXISTS, "Topic already exists")
            self.topics[topic.name] = []
        return topic

    def _get_topic(self, request, context):
        self.calls["GetTopic"] += 1
        if request.topic not in self.topics:
            context.abort(grpc.StatusCode.NOT_FOUND, "Topic not found")
        return ps.Topic(name=request.topic)

    def _publish(self, request, context):
        self.calls["Publish"] += 1
        with self._lock:
            if request.topic not in self.topics:
                context.abort(grpc.StatusCode.NOT_FOUND, "Topic not found")
            ids = []
            for message in request.messages:
                stored = ps.PubsubMessage(
                    data=message.data,
                    attributes=dict(message.attributes),
                    message_id=str(next(self._ids)),
                    publish_time=dt.datetime.now(dt.UTC),
                )
                self.published[request.topic].append(stored)
                for subscription in self.topics[request.topic]:
                    self.queues[subscription].append(stored)
                ids.append(stored.message_id)
        return ps.PublishResponse(message_ids=ids)

    # -- Subscriber ---------------------------------------------------------------------------
    def _create_subscription(self, subscription, context):
        self.calls["CreateSubscription"] += 1
        with self._lock:
            if subscription.topic not in self.topics:
                context.abort(grpc.StatusCode.NOT_FOUND, "Topic not found")
            self.topics[subscription.topic].append(subscription.name)
            self.queues[subscription.name] = collections.deque()
        return subscription

    def _get_subscription(self, request, context):
        self.calls["GetSubscription"] += 1
        if request.subscription not in self.queues:
            context.abort(grpc.StatusCode.NOT_FOUND, "Subscription not found")
        return ps.Subscription(name=request.subscription)

    def _delete_subscription(self, request, context):
        self.calls["DeleteSubscription"] += 1
        with self._lock:
            self.queues.pop(request.subscription, None)
            for subscriptions in self.topics.values():
                if request.subscription in subscriptions:
                    subscriptions.remove(request.subscription)
        return empty_pb2.Empty()

    def _pull(self, request, context):
        self.calls["Pull"] += 1
        deadline = (
            time.monotonic() + 0.2
        )  # like the service: wait a little for messages before returning none
        while True:
            with self._lock:
                queue = self.queues.get(request.subscription)
                if queue is None:
                    context.abort(grpc.StatusCode.NOT_FOUND, "Subscription not found")
                received = []
                while queue and len(received) < max(1, request.max_messages):
                    message = queue.popleft()
                    ack_id = f"ack-{message.message_id}"
                    self.outstanding[ack_id] = message
                    received.append(ps.ReceivedMessage(ack_id=ack_id, message=message))
            if received or time.monotonic() > deadline:
                return ps.PullResponse(received_messages=received)
            time.sleep(0.02)

    def _acknowledge(self, request, context):
        self.calls["Acknowledge"] += 1
        with self._lock:
            for ack_id in request.ack_ids:
                self.outstanding.pop(ack_id, None)
        return empty_pb2.Empty()

    def _modify_ack_deadline(self, request, context):
        self.calls["ModifyAckDeadline"] += 1
        return empty_pb2.Empty()


@pytest.fixture
def fake_pubsub(monkeypatch):
    fake = FakePubSub()
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", f"127.0.0.1:{fake.port}")
    yield fake
    fake.stop()


def _clients():
    from google.cloud import pubsub_v1

    return pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()


def test_the_real_client_publishes_and_pulls_through_the_fake(fake_pubsub):
    publisher, subscriber = _clients()
    publisher.create_topic(name=IN_TOPIC)
    subscriber.create_subscription(name=IN_SUBSCRIPTION, topic=IN_TOPIC)
    message_id = publisher.publish(IN_TOPIC, b'{"a": 1}', ts="2026-11-27T10:00:00Z").result(timeout=10)
    response = subscriber.pull(subscription=IN_SUBSCRIPTION, max_messages=10, timeout=10)
    [received] = response.received_messages
    assert received.message.message_id == message_id
    assert received.message.data == b'{"a": 1}'
    assert dict(received.message.attributes) == {"ts": "2026-11-27T10:00:00Z"}
    subscriber.acknowledge(subscription=IN_SUBSCRIPTION, ack_ids=[received.ack_id])
    assert fake_pubsub.outstanding == {}
    subscriber.close()


def _config(tmp_path):
    return parse_config(
        {
            "dataset": "payments",
            "source": {
                "format": "pubsub",
                "pubsub": {"subscription": IN_SUBSCRIPTION, "event_time_attribute": "ts"},
            },
            "schema": {
                "fields": [
                    {"name": "id", "type": "string", "required": True},
                    {"name": "ts", "type": "timestamp"},
                    {"name": "customer.email", "type": "string"},
                    {"name": "card", "type": "string"},
                ]
            },
            "event_time": {"field": "ts", "format": "iso8601"},
            "pii": {
                "fields": [
                    {
                        "path": "customer.email",
                        "info_type": "EMAIL_ADDRESS",
                        "transformation": "replaceWithInfoTypeConfig",
                    },
                    {
                        "path": "card",
                        "info_type": "CREDIT_CARD_NUMBER",
                        "transformation": {
                            "characterMaskConfig": {"maskingCharacter": "*", "numberToMask": -4}
                        },
                    },
                ]
            },
            "windowing": {"type": "fixed", "size": "1h", "allowed_lateness": "1h"},
            "sinks": {"output_dir": str(tmp_path / "out"), "pubsub": {"anonymized_topic": OUT_TOPIC}},
        }
    )


def test_a_streaming_pipeline_reads_from_and_publishes_to_pubsub(fake_pubsub, tmp_path):
    publisher, subscriber = _clients()
    for topic in (IN_TOPIC, OUT_TOPIC):
        publisher.create_topic(name=topic)
    subscriber.create_subscription(name=IN_SUBSCRIPTION, topic=IN_TOPIC)
    subscriber.close()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    records = [
        {"id": f"t{i}", "customer": {"email": f"user{i}@example.com"}, "card": "4111111111111111"}
        for i in range(12)
    ]
    for record in records:
        publisher.publish(IN_TOPIC, json.dumps(record).encode(), ts=now).result(timeout=10)

    options = PipelineOptions(project=PROJECT)
    options.view_as(StandardOptions).streaming = True
    pipeline = beam.Pipeline(options=options)
    build_pipeline(pipeline, _config(tmp_path), batch_size=5, streaming=True)
    result = pipeline.run()
    try:
        deadline = time.monotonic() + 90
        while len(fake_pubsub.published[OUT_TOPIC]) < len(records) and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        result.cancel()

    out = [json.loads(m.data) for m in fake_pubsub.published[OUT_TOPIC]]
    assert sorted(r["id"] for r in out) == sorted(r["id"] for r in records)
    assert len(out) == len(records)
    assert all(r["customer"]["email"] == "[EMAIL_ADDRESS]" for r in out)
    assert all(r["card"] == "************1111" for r in out)
    assert all(r["ts"] == now for r in out)  # the event-time attribute filled the field
    assert "user0@example.com" not in json.dumps(out)
    assert fake_pubsub.calls["Pull"] >= 1
    assert fake_pubsub.calls["Acknowledge"] >= 1
    assert not fake_pubsub.outstanding  # everything read was acknowledged


def test_messages_become_raw_items_referenced_by_message_id():
    from apache_beam.io.gcp.pubsub import PubsubMessage

    from veilwatch.transforms.config.model import PubSubSourceSpec
    from veilwatch.transforms.io.pubsub import message_to_item

    plain = PubSubSourceSpec(subscription=IN_SUBSCRIPTION)
    item = message_to_item(PubsubMessage(b'{"a": 1}', {}, message_id="42"), plain, "ts", 100)
    assert (item.ref, item.payload, item.error) == ("pubsub:42", b'{"a": 1}', None)
    too_big = message_to_item(PubsubMessage(b"x" * 101, {}, message_id="43"), plain, "ts", 100)
    assert too_big.payload is None
    assert "max_record_bytes" in too_big.error
    by_attribute = PubSubSourceSpec(subscription=IN_SUBSCRIPTION, event_time_attribute="t")
    nested = message_to_item(
        PubsubMessage(b'{"a": 1}', {"t": "5"}, message_id="44"), by_attribute, "meta.ts", 100
    )
    assert nested.payload == {"a": 1, "meta": {"ts": "5"}}
    broken = message_to_item(PubsubMessage(b"{", {"t": "5"}, message_id="45"), by_attribute, "ts", 100)
    assert broken.payload == b"{"  # left to the parse stage, which dead-letters it
