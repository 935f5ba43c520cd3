"""Example subscriber: print every annotation event (replaying from the beginning), in any language's style.

    python docs/examples/subscribe.py --nats nats://127.0.0.1:4222 [--subject 'annostream.annotation.v1.>']

Needs only nats-py and the generated protobuf classes (`make protos`); other languages generate theirs
from protos/annostream/events/v1/*.proto.
"""

from __future__ import annotations

import argparse
import asyncio

import nats
from google.protobuf import json_format
from google.protobuf.message import Message
from nats.js.api import DeliverPolicy

from annostream_protos.events.v1 import annotation_pb2, envelope_pb2

PAYLOADS: dict[str, type[Message]] = {
    name: getattr(annotation_pb2, name) for name in annotation_pb2.DESCRIPTOR.message_types_by_name
}


async def main(url: str, subject: str, limit: int, idle: float) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    # An ordered consumer: no server-side state, replays the stream from the start, in order.
    sub = await js.subscribe(subject, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
    seen = 0
    try:
        while limit <= 0 or seen < limit:
            try:
                msg = await sub.next_msg(timeout=idle)
            except nats.errors.TimeoutError:
                break
            env = envelope_pb2.EventEnvelope.FromString(msg.data)
            cls = PAYLOADS.get(env.type)
            payload = cls.FromString(env.payload.value) if cls else None
            data = json_format.MessageToDict(payload) if payload is not None else {}
            print(
                f"{env.stream_id} v{env.stream_version} {env.type} by {env.actor or '-'}"
                f" (event {env.event_id}, schema {env.schema_version}): {data}",
                flush=True,
            )
            seen += 1
    finally:
        await nc.close()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--nats", default="nats://127.0.0.1:4222")
    p.add_argument("--subject", default="annostream.annotation.v1.>")
    p.add_argument("--limit", type=int, default=0, help="stop after N events (0 = no limit)")
    p.add_argument("--idle", type=float, default=3600, help="stop after this many seconds without an event")
    a = p.parse_args()
    asyncio.run(main(a.nats, a.subject, a.limit, a.idle))
