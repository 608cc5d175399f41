#!/usr/bin/env python3
"""Writes the seed corpora under Fuzz/Corpus/<target>/ (see Fuzz/README.md).

Seeds are derived from the conformance vectors (llhttp's response tests, the http-state cookie
tests) plus hand-written cases, each prefixed with the control bytes its fuzz target reads
(see Sources/CourierFuzz). Deterministic: running it again rewrites the same files.

    python3 Fuzz/make-corpus.py [conformance folder, default Tests/Conformance]
"""
import ctypes
import ctypes.util
import gzip
import hashlib
import json
import random
import re
import shutil
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent
CORPUS = ROOT / "Corpus"
# The repository's copy of the conformance vectors (the same files as shared/conformance).
CONFORMANCE = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "Tests" / "Conformance"


def write(target, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def llhttp_messages():
    """The raw bytes of every ```http block, normalised as llhttp's harness does."""
    for md in sorted((CONFORMANCE / "llhttp-response").glob("*.md")):
        for block in re.findall(r"```http\n(.*?)```", md.read_text(), re.S):
            text = block[:-1] if block.endswith("\n") else block
            text = text.replace("\\\n", "").replace("\n", "\r\n")

            def unescape(match):
                token = match.group(0)
                simple = {"\\r": "\r", "\\n": "\n", "\\t": "\t", "\\f": "\f"}
                if token in simple:
                    return simple[token]
                if token.startswith("\\x"):
                    return chr(int(token[2:], 16))
                return chr(int(token[1:], 8))

            text = re.sub(r"\\x[0-9a-fA-F]{2}|\\[0-7]{3}|\\[rntf]", unescape, text)
            yield text.encode("latin-1")


def head_and_body_seeds():
    for index, message in enumerate(llhttp_messages()):
        cuts = index % 256
        write("head-parser", bytes([0x00, cuts]) + message)
        if index % 3 == 0:
            write("head-parser", bytes([0x02, cuts]) + message)  # tight limits
        end = message.find(b"\r\n\r\n")
        if end < 0:
            continue
        head, body = message[: end + 4].lower(), message[end + 4 :]
        length = re.search(rb"\ncontent-length: *([0-9]+)", head)
        if b"transfer-encoding: chunked" in head:
            control, declared = 0x01, 0
        elif length and int(length.group(1)) < 65536:
            control, declared = 0x00, int(length.group(1))
        else:
            control, declared = 0x02, 0
        write("body-decoder", bytes([control, declared >> 8, declared & 0xFF, cuts]) + body)
    requests = [
        b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
        b"POST /upload?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        b"PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"OPTIONS * HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        b"\r\n\r\nGET /pipelined HTTP/1.1\r\n\r\nGET /second HTTP/1.1\r\n\r\n",
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    ]
    for index, request in enumerate(requests):
        write("head-parser", bytes([0x01, index]) + request)
        write("head-parser", bytes([0x03, index + 1]) + request)
    write("body-decoder", bytes([0x01, 0, 0, 1]) + b"5;ext=\"q\\\"x\"\r\nhello\r\n0\r\nTrailer: v\r\n\r\nNEXT")
    write("body-decoder", bytes([0x05, 0, 0, 2]) + b"FFFFFFFFFFFFFFFFFF\r\n")  # tight limits
    write("body-decoder", bytes([0x18, 0, 7, 3]) + b"partial body, then close")


def chunked_seeds():
    """Recipes for ChunkedBody: any bytes are one, so a few hand-made plus deterministic random ones."""
    tail = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    write("chunked-decoder", bytes([0, 1, 0, 0]) + bytes([0x10, 0x00, 0x06, 0x00]) + tail)
    write("chunked-decoder", bytes([0, 2, 0, 0]) + bytes([0x20, 0x19, 0x07, 3, 0x61, 0x62, 0x63, 0x06, 0x30]) + tail)
    write("chunked-decoder", bytes([2, 3, 0, 0]) + bytes([0x18, 0x10, 0x00, 0x00, 0x18, 0x04, 0x00, 0x00, 0x06, 0x30]))
    write("chunked-decoder", bytes([1, 0, 0x12, 0x05]) + bytes([0x30, 0x02, 0x06, 0x10, 2, 0x41, 0x42, 5]) + b"v a l")
    generator = random.Random(6265)
    for index in range(24):
        recipe = bytes(generator.randrange(256) for _ in range(generator.randrange(8, 120)))
        write("chunked-decoder", bytes([index & 2, index, 0, 0]) + recipe + tail)


def cookie_seeds():
    for test in sorted((CONFORMANCE / "cookies" / "parser").glob("*-test")):
        for line in test.read_bytes().splitlines():
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"set-cookie":
                write("cookie", bytes([0]) + value.strip())
    for name in ["examples.json", "bsd-examples.json"]:
        text = (CONFORMANCE / "cookies" / "dates" / name).read_text()
        text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
        for index, case in enumerate(json.loads(text)):
            write("cookie", bytes([index % 10]) + b"id=1; Expires=" + case["test"].encode())
    for index, extra in enumerate([
        b"a=b; Domain=.example.co.uk; Path=/; Secure; HttpOnly; SameSite=Lax",
        b"sid=1; Max-Age=3600; Domain=github.io",
        b"x=y; Max-Age=-1",
        b"pref=; Path=/one/two; Domain=EXAMPLE.net; SameSite=None; Secure",
        b"ip=1; Domain=192.168.0.1",
    ]):
        write("cookie", bytes([index + 1]) + extra)


def auth_seeds():
    for header in [
        'Basic realm="WallyWorld"',
        'Basic realm="simple", charset="UTF-8"',
        'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, '
        'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
        'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"',
        'Bearer realm="example", error="invalid_token", error_description="The access token expired"',
        'Negotiate, NTLM',
        'Bearer',
        'Digest realm="a,b", nonce="x\\\\y", stale=TRUE',
        ', , Basic  realm = "spaces" ,, Other',
        'token68 abc123==',
    ]:
        write("auth-challenge", header.encode())


def decompressor_seeds():
    payloads = [b"", b"hello, world\n", b"Courier " * 200, bytes(range(256)) * 4]
    brotli = None
    path = ctypes.util.find_library("brotlienc")
    if path:
        brotli = ctypes.CDLL(path)
        size_t_p = ctypes.POINTER(ctypes.c_size_t)
        brotli.BrotliEncoderCompress.argtypes = [
            ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_size_t, ctypes.c_char_p, size_t_p, ctypes.c_char_p]
        brotli.BrotliEncoderCompress.restype = ctypes.c_int
    for index, payload in enumerate(payloads):
        raw = zlib.compressobj(6, zlib.DEFLATED, -15)
        streams = [
            (0, gzip.compress(payload, mtime=0)),
            (1, zlib.compress(payload)),
            (1, raw.compress(payload) + raw.flush()),
        ]
        if brotli:
            out = ctypes.create_string_buffer(len(payload) + 1024)
            size = ctypes.c_size_t(len(out))
            if brotli.BrotliEncoderCompress(5, 22, 0, len(payload), payload, ctypes.byref(size), out):
                streams.append((2, out.raw[: size.value]))
        for coding, stream in streams:
            write("decompressor", bytes([coding, index]) + stream)
            if len(stream) > 4:
                write("decompressor", bytes([coding, index + 1]) + stream[: len(stream) // 2])  # truncated
    write("decompressor", bytes([0, 3]) + gzip.compress(b"one", mtime=0) + gzip.compress(b"two", mtime=0))


def hpack_seeds():
    """Stories of a few encoders, as one context each: control byte 0 (4096 table, 256 KiB list
    limit, Huffman, client), then each case as a block (no SETTINGS, 16-bit length, wire), as many
    cases as fit in the target's 4096 bytes; plus a bomb and a few malformed blocks."""
    folders = ["nghttp2", "nghttp2-change-table-size", "go-hpack", "haskell-http2-naive", "python-hpack",
               "swift-nio-hpack-huffman"]
    for folder in folders:
        for number in range(3):
            story = json.loads((CONFORMANCE / "hpack" / folder / f"story_0{number}.json").read_text())
            seed = bytes([0x10 if ":status" in story["cases"][0]["headers"][0] else 0x00])
            for case in story["cases"]:
                wire = bytes.fromhex(case["wire"])
                if len(seed) + 3 + len(wire) > 4096:
                    break
                seed += bytes([0]) + len(wire).to_bytes(2, "big") + wire
            write("hpack", seed)
    value = b"x" * 1000
    bomb = bytes([0x40, 0x01]) + b"b" + bytes([0x7F, 0xE9, 0x06]) + value + bytes([0xBE]) * 2000  # "b": 1000 x
    write("hpack", bytes([0x04, 0]) + len(bomb).to_bytes(2, "big") + bomb)  # 1 KiB list limit
    for block in [b"\x3f\xe1\x1f\x82", b"\x82\x20", b"\x40\x84\xff\xff\xff\xff\x00", b"\x40\x81\x18\x00",
                  b"\xff\x80\x80\x80\x80\x80\x00", b"\xbe"]:
        write("hpack", bytes([0x00, 0x81]) + len(block).to_bytes(2, "big") + block)  # after SETTINGS of 256


def h2_frames_seeds():
    """Hand-written frame streams for h2-frames: control byte, segmentation byte, then frames after
    the opening the target prepends (bit 4 clear), or the opening itself (bit 4 set)."""
    def frame(kind, flags, stream, payload=b""):
        return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload

    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    every = (frame(0, 0, 1, b"hello") + frame(0, 0x9, 3, b"\x03body\0\0\0") + frame(1, 0x5, 1, b"\x82\x86\x84")
             + frame(1, 0x2C, 5, b"\x01\x80\0\0\x03\x0f\x88\0") + frame(2, 0, 7, b"\0\0\0\x01\x10")
             + frame(3, 0, 1, b"\0\0\0\x08") + frame(4, 0, 0, b"\0\x01\0\0\x10\0\0\x04\0\0\xff\xff\xab\xcd\0\0\0\0")
             + frame(4, 1, 0) + frame(6, 0, 0, b"12345678") + frame(6, 1, 0, b"12345678")
             + frame(7, 0, 0, b"\0\0\0\x05\0\0\0\x0bcalm") + frame(8, 0, 0, b"\0\x01\0\0")
             + frame(8, 0, 3, b"\x80\0\0\x01") + frame(0xFA, 0xFF, 9, b"extension"))
    block = frame(1, 0x1, 9, b"\x82\x86") + frame(9, 0, 9, b"\x84") + frame(9, 0x4, 9, b"\x41\x8a\x08\x9d\x5c\x0b\x81\x70\xdc\x78\x0f\x03")
    push = frame(5, 0x4, 1, b"\0\0\0\x02\x82") + frame(5, 0x8, 1, b"\x02\0\0\0\x04\x82\0\0") + frame(9, 0x4, 1, b"\x87")
    write("h2-frames", bytes([0x00, 0x00]) + every)
    write("h2-frames", bytes([0x01, 0x01]) + every + block)  # server role
    write("h2-frames", bytes([0x02, 0x02]) + push + block)  # a client that enabled push
    write("h2-frames", bytes([0x08, 0x00]) + frame(1, 0x4, 1, b"\x82" * 40) + frame(0, 0, 1, b"x" * 65))  # 64-octet frames
    write("h2-frames", bytes([0x04, 0x03]) + frame(1, 0, 1, b"\x82" * 100) + frame(9, 0, 1, b"\x82" * 1000))  # flood
    write("h2-frames", bytes([0x11, 0x00]) + preface + frame(4, 0, 0) + frame(6, 0, 0, b"12345678"))  # preface by hand
    write("h2-frames", bytes([0x11, 0x00]) + b"GET / HTTP/1.1\r\n\r\n")
    for bad in [frame(6, 0, 0, b"1234567"), frame(8, 0, 1, b"\0\0\0\0"), frame(4, 0, 0, b"\0\x02\0\0\0\x02"),
                frame(0, 0x8, 1, b"\x05abc"), frame(1, 0, 1, b"\x82") + frame(6, 0, 0, b"12345678"),
                frame(9, 0x4, 1, b"\x82"), frame(2, 0, 3, b"\x80\0\0\x03\x10"), frame(0, 0, 0, b"x")]:
        write("h2-frames", bytes([0x00, 0x00]) + bad)


def websocket_seeds():
    """Server-to-client frame streams for websocket: control byte, segmentation byte, then frames.
    Compressed messages are raw deflate with the sync flush's empty block trimmed (RFC 7692 §7.2.1),
    made here with Python's zlib."""
    def frame(opcode, payload=b"", fin=True, rsv1=False):
        first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
        n = len(payload)
        if n < 126:
            length = bytes([n])
        elif n < 1 << 16:
            length = bytes([126]) + n.to_bytes(2, "big")
        else:
            length = bytes([127]) + n.to_bytes(8, "big")
        return bytes([first]) + length + payload

    def deflated(messages, window_bits=15, takeover=True):
        compressor = zlib.compressobj(9, zlib.DEFLATED, -window_bits)
        out = []
        for message in messages:
            if not takeover:
                compressor = zlib.compressobj(9, zlib.DEFLATED, -window_bits)
            data = compressor.compress(message) + compressor.flush(zlib.Z_SYNC_FLUSH)
            assert data.endswith(b"\x00\x00\xff\xff")
            out.append(data[:-4])
        return out

    plain = (frame(1, "héllo ✓".encode()) + frame(2, bytes(range(256))) + frame(9, b"ping")
             + frame(1, b"frag", fin=False) + frame(9) + frame(0, b"ment", fin=False) + frame(0, b"ed")
             + frame(10, b"pong") + frame(2, b"x" * 300) + frame(8, b"\x03\xe8bye"))
    write("websocket", bytes([0x00, 0x00]) + plain)
    write("websocket", bytes([0x04, 0x01]) + frame(2, b"y" * 200, fin=False) + frame(0, b"y" * 100))  # past 256
    texts = [b"the same words again and again " * 8, b"the same words again and again " * 9, b"{}"]
    takeover = deflated(texts)
    write("websocket", bytes([0x71, 0x02]) + b"".join(frame(1, m, rsv1=True) for m in takeover))
    fresh = deflated(texts, takeover=False)
    write("websocket", bytes([0x73, 0x03]) + b"".join(frame(1, m, rsv1=True) for m in fresh))
    small = deflated([b"a" * 1000], window_bits=9)[0]
    write("websocket", bytes([0x13, 0x00]) + frame(2, small[:5], fin=False, rsv1=True) + frame(0, small[5:]))
    bomb = deflated([bytes(60000)])[0]
    write("websocket", bytes([0x75, 0x01]) + frame(2, bomb, rsv1=True))  # past 256 once inflated
    for bad in [frame(1, b"\xc3\x28 invalid", fin=False), frame(1, b"ok", rsv1=True), frame(0, b"lost"),
                frame(9, b"x" * 126), frame(9, fin=False), bytes([0x82, 0x80, 1, 2, 3, 4]),  # masked
                frame(8, b"\x03"), frame(8, b"\x03\xed"), frame(3), frame(2, b"\x01\x02", rsv1=False)[:1] + b"\x7f" + bytes(8)]:
        write("websocket", bytes([0x00, 0x00]) + bad)


def socks5_seeds():
    """Proxy answers for socks5: control byte (bit 0 credentials, bits 1-2 destination kind),
    segmentation byte, then what the proxy sends."""
    v4 = bytes([5, 0, 0, 1, 10, 0, 0, 1, 0x1F, 0x90])
    v6 = bytes([5, 0, 0, 4]) + bytes(15) + b"\x01" + b"\x00\x50"
    name = bytes([5, 0, 0, 3, 5]) + b"proxy" + b"\x04\x38"
    write("socks5", bytes([0x00, 0x00]) + b"\x05\x00" + v4)
    write("socks5", bytes([0x02, 0x01]) + b"\x05\x00" + v6 + b"after")
    write("socks5", bytes([0x05, 0x02]) + b"\x05\x02" + b"\x01\x00" + name)
    write("socks5", bytes([0x01, 0x00]) + b"\x05\x02" + b"\x01\x01")  # credentials rejected
    for answer in [b"\x05\xff", b"\x04\x00", b"\x05\x02", b"\x05\x00\x05\x05\x00\x01",
                   b"\x05\x00\x05\x00\x00\x07", b"\x05\x00\x05\x00\x00\x03\x00\x00\x00"]:
        write("socks5", bytes([0x00, 0x03]) + answer)


def cache_seeds():
    """Metadata blobs in the format CachedResponseHeadCoding writes; the Cache-Control values
    and string dates of the http-tests cache-tests suite."""
    def string(text):
        data = text.encode()
        return len(data).to_bytes(4, "big") + data

    def fields(pairs):
        return len(pairs).to_bytes(4, "big") + b"".join(string(n) + string(v) for n, v in pairs)

    def head(status, reason, version, headers, varying, tls):
        blob = b"CCHM\x01" + string("https://example.com/a?b=c") + string("GET")
        blob += status.to_bytes(2, "big") + string(reason) + bytes([version])
        blob += (1_700_000_000_000).to_bytes(8, "big", signed=True) + (1_700_000_000_250).to_bytes(8, "big", signed=True)
        blob += fields(headers) + fields(varying)
        if tls:
            blob += b"\x01\x03" + string("TLS_AES_128_GCM_SHA256") + b"\x01" + string("h2")
            blob += (2).to_bytes(4, "big") + string("\x30\x82") + string("\x30")
        else:
            blob += b"\x00"
        return blob

    write("cache", b"\x00" + head(200, "OK", 1, [("Cache-Control", "max-age=60"), ("ETag", '"v1"'),
                                               ("Vary", "Accept-Encoding")], [("Accept-Encoding", "gzip")], False))
    write("cache", b"\x00" + head(404, "", 2, [("Set-Cookie", "a=1"), ("set-cookie", "b=2")], [], True))
    write("cache", b"\x00" + head(301, "Moved", 0, [], [], False)[:40])
    suites = json.loads((CONFORMANCE / "cache-tests" / "cache-tests.json").read_text())
    values = set()
    for suite in suites:
        for test in suite["tests"]:
            for request in test["requests"]:
                for header in request.get("response_headers", []) + request.get("request_headers", []):
                    if isinstance(header[1], str):
                        values.add((header[0].lower(), header[1]))
    for name, value in sorted(values):
        if name in ("cache-control", "age", "pragma"):
            write("cache", b"\x01" + value.encode())
        elif name in ("date", "expires", "last-modified", "if-modified-since"):
            write("cache", b"\x02" + value.encode())
    for date in ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                 "Thursday, 18-Aug-50 02:01:18 GMT"]:
        write("cache", b"\x02" + date.encode())


def findings():
    """Inputs that once found a bug (Fuzz/Findings, see README.md) replay in every run."""
    for folder in sorted((ROOT / "Findings").glob("*")):
        for finding in sorted(folder.glob("*")):
            write(folder.name, finding.read_bytes())


def url_host_seeds():
    """Hosts, Punycode and paths for url-host: a mode byte (0 host, 1 Punycode, 2 path), then
    the text. The hosts are every input of WPT's toascii.json (Tests/Conformance/url) and the
    hosts of urltestdata.json's http(s) rows."""
    rows = [row for row in json.loads((CONFORMANCE / "url" / "toascii.json").read_text()) if isinstance(row, dict)]
    for row in rows:
        write("url-host", b"\x00" + row["input"].encode())
    for row in json.loads((CONFORMANCE / "url" / "urltestdata.json").read_text()):
        if isinstance(row, dict) and row.get("protocol") in ("http:", "https:") and row.get("hostname"):
            write("url-host", b"\x00" + row["hostname"].encode())
    for host in ["127.1", "0x7f.0.0.1", "[::127.0.0.1]", "[1.2.3.4::]", "ho%2Fst", "M%C3%BCnchen.de"]:
        write("url-host", b"\x00" + host.encode())
    for label in ["bücher", "münchen", "他们为什么不说中文", "3年B組金八先生", "-ls8h", "ls8h"]:
        write("url-host", b"\x01" + label.encode())
    for path in ["a/./b/%2e%2E/c/..", "////../..", "a/b//../..", ".b/..c/...", "%2e%2"]:
        write("url-host", b"\x02" + path.encode())


def licences():
    shutil.copy(CONFORMANCE / "llhttp-response" / "LICENSE", CORPUS / "LICENSE-llhttp")
    shutil.copy(CONFORMANCE / "cookies" / "UPSTREAM-README", CORPUS / "NOTICE-http-state")
    shutil.copy(CONFORMANCE / "hpack" / "LICENSE", CORPUS / "LICENSE-hpack-test-case")
    shutil.copy(CONFORMANCE / "cache-tests" / "LICENSE", CORPUS / "LICENSE-cache-tests")
    shutil.copy(CONFORMANCE / "url" / "LICENSE", CORPUS / "LICENSE-wpt-url")
    header = [line for line in (CONFORMANCE / "cookies" / "dates" / "bsd-examples.json").read_text().splitlines()
              if line.lstrip().startswith("//")]
    (CORPUS / "LICENSE-chromium-cookie-dates").write_text("\n".join(line.lstrip("/ ").rstrip() for line in header) + "\n")


if __name__ == "__main__":
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    head_and_body_seeds()
    chunked_seeds()
    cookie_seeds()
    auth_seeds()
    decompressor_seeds()
    hpack_seeds()
    h2_frames_seeds()
    cache_seeds()
    websocket_seeds()
    socks5_seeds()
    url_host_seeds()
    findings()
    licences()
