import socket

from storekit import proto


def exchange(payload):
    a, b = socket.socketpair()
    with b:
        with a:
            proto.send_message(a, payload)
        return proto.recv_message(b)


def test_message_round_trip():
    payload = bytes(range(256)) * 64
    assert exchange(payload) == payload


def test_small_message():
    assert exchange(b"hello") == b"hello"
