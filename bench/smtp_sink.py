#!/usr/bin/env python3
"""A loopback SMTP sink for the fault suite and the benchmarks.

Accepts every message and writes it to DIR as <n>.eml; prints nothing else. Stop it to
make the portal's mail server "down"; start it again on the same port to bring it back.

    bench/smtp_sink.py PORT DIR
"""
import asyncio
import itertools
import os
import sys

PORT = int(sys.argv[1])
DIR = sys.argv[2]
os.makedirs(DIR, exist_ok=True)
counter = itertools.count(len(os.listdir(DIR)) + 1)


async def session(reader, writer):
    def say(line):
        writer.write((line + "\r\n").encode())

    say("220 sink ESMTP")
    await writer.drain()
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            verb = line.decode("utf-8", "replace").strip().split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                say("250-sink")
                say("250 8BITMIME")
            elif verb == "DATA":
                say("354 go ahead")
                await writer.drain()
                lines = []
                while True:
                    chunk = await reader.readline()
                    if chunk in (b".\r\n", b".\n", b""):
                        break
                    lines.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                path = os.path.join(DIR, f"{next(counter):07d}.eml")
                with open(path + ".part", "wb") as f:
                    f.write(b"".join(lines))
                os.rename(path + ".part", path)
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                await writer.drain()
                break
            else:  # MAIL, RCPT, RSET, NOOP
                say("250 ok")
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    writer.close()


async def main():
    server = await asyncio.start_server(session, "127.0.0.1", PORT, reuse_address=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
