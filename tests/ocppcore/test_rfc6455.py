"""The WebSocket protocol without I/O: frames read however the bytes are cut, every way a
client can break the protocol with the close code it earns, frames we write read back by an
independent implementation (wsproto's client), and the opening handshake."""

from __future__ import annotations

import itertools
import os
import struct

import h11
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wsproto import ConnectionType
from wsproto.connection import Connection
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage

from ocppcore.transport.rfc6455 import (
    BINARY,
    CLOSE,
    CONTINUATION,
    PING,
    PONG,
    TEXT,
    FrameReader,
    HandshakeError,
    ProtocolError,
    accept_headers,
    check_upgrade,
    encode_close,
    encode_frame,
    parse_close,
)


def client_frame(
    payload: bytes, opcode: int = TEXT, *, fin: bool = True, rsv: int = 0, length: bytes = b""
) -> bytes:
    """A masked frame as a client sends it; `length` overrides the length field's encoding."""
    n = len(payload)
    if not length:
        if n < 126:
            length = bytes([n])
        elif n < 0x10000:
            length = bytes([126]) + struct.pack("!H", n)
        else:
            length = bytes([127]) + struct.pack("!Q", n)
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    head = bytes([(0x80 if fin else 0) | rsv << 4 | opcode, length[0] | 0x80]) + length[1:]
    return head + mask + masked


def read_all(reader: FrameReader) -> list[tuple[int, str | bytes]]:
    events = []
    while (event := reader.next()) is not None:
        events.append(event)
    return events


def fragments(payload: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(payload) + 1) for c in cuts})
    edges = [0, *points, len(payload)]
    return [payload[a:b] for a, b in itertools.pairwise(edges)] or [b""]


messages = st.one_of(
    st.tuples(st.just(TEXT), st.text(max_size=100)),  # at most 400 bytes
    st.tuples(st.just(BINARY), st.binary(max_size=300)),
)


@settings(max_examples=200)
@given(
    sent=st.lists(
        st.tuples(messages, st.lists(st.integers(0, 400), max_size=4), st.booleans()),
        max_size=8,
    ),
    chunk_cuts=st.lists(st.integers(0, 10_000), max_size=30),
)
def test_messages_come_out_whole_however_the_bytes_are_cut(
    sent: list[tuple[tuple[int, str | bytes], list[int], bool]], chunk_cuts: list[int]
) -> None:
    wire, expected = b"", []
    for (opcode, data), cuts, ping_inside in sent:
        payload = data.encode() if isinstance(data, str) else data
        parts = fragments(payload, cuts)
        for i, part in enumerate(parts):
            wire += client_frame(part, opcode if i == 0 else CONTINUATION, fin=i == len(parts) - 1)
            if ping_inside and i < len(parts) - 1:  # between two fragments
                wire += client_frame(b"are you there", PING)
                expected.append((PING, b"are you there"))
        expected.append((opcode, data))
    reader, received = FrameReader(max_message_size=400), []
    for chunk in fragments(wire, chunk_cuts):
        reader.feed(chunk)
        received += read_all(reader)
    assert received == expected


def test_frames_already_received_come_first() -> None:
    reader = FrameReader(1024, client_frame(b"early"))
    assert read_all(reader) == [(TEXT, "early")]


def test_a_character_split_between_fragments_is_one_character() -> None:
    e_acute = "é".encode()
    reader = FrameReader(1024)
    reader.feed(client_frame(e_acute[:1], fin=False) + client_frame(e_acute[1:], CONTINUATION))
    assert read_all(reader) == [(TEXT, "é")]


@pytest.mark.parametrize(
    ("wire", "code"),
    [
        (client_frame(b"x", rsv=4), 1002),  # RSV1: no extension was agreed
        (client_frame(b"x", 0x3), 1002),  # a reserved opcode
        (client_frame(b"x", PING, fin=False), 1002),  # control frames are never fragmented
        (client_frame(b"x" * 126, PING), 1002),  # nor over 125 bytes
        (client_frame(b"x" * 10, length=bytes([126, 0, 10])), 1002),  # 16-bit length for 10
        (client_frame(b"x" * 200, length=bytes([127]) + struct.pack("!Q", 200)), 1002),
        (client_frame(b"x", CONTINUATION), 1002),  # continues no message
        (client_frame(b"a", fin=False) + client_frame(b"b"), 1002),  # new message inside one
        (client_frame(b"\xff\xfe"), 1007),  # text that is not UTF-8
        (client_frame(b"\xc3", fin=False) + client_frame(b"(", CONTINUATION), 1007),
        (client_frame(b"x" * 1025, BINARY), 1009),
        (client_frame(b"x" * 600, fin=False) + client_frame(b"x" * 600, CONTINUATION), 1009),
    ],
)
def test_protocol_violations_carry_their_close_code(wire: bytes, code: int) -> None:
    reader = FrameReader(1024)
    reader.feed(wire)
    with pytest.raises(ProtocolError) as error:
        read_all(reader)
    assert error.value.code == code


def test_unmasked_frames_are_refused() -> None:
    reader = FrameReader(1024)
    reader.feed(b"\x81\x02hi")
    with pytest.raises(ProtocolError, match="unmasked") as error:
        reader.next()
    assert error.value.code == 1002


def test_a_huge_message_is_refused_from_its_header_alone() -> None:
    reader = FrameReader(1024)
    reader.feed(bytes([0x82, 0xFF]) + struct.pack("!Q", 2**40))  # 1 TiB announced, none sent
    with pytest.raises(ProtocolError) as error:
        reader.next()
    assert error.value.code == 1009
    top_bit = FrameReader(1024)
    top_bit.feed(bytes([0x82, 0xFF]) + struct.pack("!Q", 2**63))
    with pytest.raises(ProtocolError) as error:
        top_bit.next()
    assert error.value.code == 1002


def test_an_incomplete_frame_waits_for_more() -> None:
    frame = client_frame(b"x" * 300)
    reader = FrameReader(1024)
    for i in range(len(frame) - 1):
        reader.feed(frame[i : i + 1])
        assert reader.next() is None
    reader.feed(frame[-1:])
    assert reader.next() == (TEXT, "x" * 300)


@pytest.mark.parametrize(
    ("payload", "parsed"),
    [
        (b"", (1005, None)),
        (struct.pack("!H", 1000), (1000, None)),
        (struct.pack("!H", 1001) + "au revoir, déjà".encode(), (1001, "au revoir, déjà")),
        (struct.pack("!H", 1014), (1014, None)),
        (struct.pack("!H", 3000), (3000, None)),
        (struct.pack("!H", 4999), (4999, None)),
    ],
)
def test_close_payloads(payload: bytes, parsed: tuple[int, str | None]) -> None:
    assert parse_close(payload) == parsed


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"\x03", 1002),  # one byte: half a code
        *((struct.pack("!H", c), 1002) for c in (0, 999, 1004, 1005, 1006, 1015, 2999, 5000)),
        (struct.pack("!H", 1000) + b"\xff", 1007),
    ],
)
def test_invalid_close_payloads(payload: bytes, code: int) -> None:
    with pytest.raises(ProtocolError) as error:
        parse_close(payload)
    assert error.value.code == code


def wsproto_client_events(data: bytes) -> list[object]:
    client = Connection(ConnectionType.CLIENT)
    client.receive_data(data)
    return list(client.events())


@settings(max_examples=100)
@given(st.one_of(st.text(max_size=70_000), st.binary(max_size=70_000)))
def test_our_frames_are_read_back_by_another_implementation(message: str | bytes) -> None:
    if isinstance(message, str):
        (event,) = wsproto_client_events(encode_frame(TEXT, message.encode()))
        assert isinstance(event, TextMessage) and event.data == message
    else:
        (event,) = wsproto_client_events(encode_frame(BINARY, message))
        assert isinstance(event, BytesMessage) and event.data == message


def test_control_frames_are_read_back_by_another_implementation() -> None:
    (ping,) = wsproto_client_events(encode_frame(PING, b"tick"))
    assert isinstance(ping, Ping) and ping.payload == b"tick"
    reason = "é" * 100  # 200 bytes: cut to 123 without splitting a character
    (close,) = wsproto_client_events(encode_close(1001, reason))
    assert isinstance(close, CloseConnection) and close.code == 1001
    assert close.reason == "é" * 61
    assert encode_close(1005) == bytes([0x88, 0])  # no status: an empty close frame
    assert encode_frame(PONG, b"") == bytes([0x8A, 0])


UPGRADE = [
    (b"Host", b"127.0.0.1"),
    (b"Upgrade", b"WebSocket"),
    (b"Connection", b"keep-alive, Upgrade"),
    (b"Sec-WebSocket-Key", b"dGhlIHNhbXBsZSBub25jZQ=="),
    (b"Sec-WebSocket-Version", b"13"),
]


def request(headers: list[tuple[bytes, bytes]], method: bytes = b"GET") -> h11.Request:
    return h11.Request(method=method, target=b"/ocpp/CP-1", headers=headers)


def test_a_valid_upgrade_is_accepted_with_the_rfc_accept_token() -> None:
    subprotocols = [
        (b"Sec-WebSocket-Protocol", b"ocpp2.0, ocpp1.6"),
        (b"Sec-WebSocket-Protocol", b"x"),
    ]
    key, proposed = check_upgrade(request(UPGRADE + subprotocols))
    assert proposed == ("ocpp2.0", "ocpp1.6", "x")
    headers = dict(accept_headers(key, "ocpp1.6"))
    assert headers[b"Sec-WebSocket-Accept"] == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455, 1.3
    assert headers[b"Sec-WebSocket-Protocol"] == b"ocpp1.6"
    assert b"Sec-WebSocket-Protocol" not in dict(accept_headers(key, None))


def without(name: bytes) -> list[tuple[bytes, bytes]]:
    return [(n, v) for n, v in UPGRADE if n != name]


@pytest.mark.parametrize(
    ("req", "status"),
    [
        (request(UPGRADE, method=b"POST"), 400),
        (request(without(b"Upgrade")), 400),
        (request([*without(b"Connection"), (b"Connection", b"keep-alive")]), 400),
        (request(without(b"Sec-WebSocket-Key")), 400),
        (request([*without(b"Sec-WebSocket-Key"), (b"Sec-WebSocket-Key", b"c2hvcnQ=")]), 400),
        (request([*UPGRADE, (b"Sec-WebSocket-Key", b"dGhlIHNhbXBsZSBub25jZQ==")]), 400),
        (request([*without(b"Sec-WebSocket-Version"), (b"Sec-WebSocket-Version", b"8")]), 426),
    ],
)
def test_invalid_upgrades_are_refused(req: h11.Request, status: int) -> None:
    with pytest.raises(HandshakeError) as refused:
        check_upgrade(req)
    assert refused.value.status == status
    if status == 426:  # the version we speak is named
        assert refused.value.headers == [(b"Sec-WebSocket-Version", b"13")]


def test_close_is_a_control_opcode() -> None:
    reader = FrameReader(16)
    reader.feed(client_frame(b"a", fin=False) + client_frame(struct.pack("!H", 1000), CLOSE))
    assert read_all(reader) == [(CLOSE, struct.pack("!H", 1000))]  # in the middle of a message
