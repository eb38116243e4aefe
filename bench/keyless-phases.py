#!/usr/bin/env python3
"""Where one keyless signing spends its time, per phase, for several clients in one run.

usage: keyless-phases.py --runs N --signing-config SC --out-config SC2 -- NAME1 'cmd1' NAME2 'cmd2' ...

A loopback timing proxy is put in front of each service of the signing config SC (Fulcio,
Rekor, the TSA): a new signing config SC2 names the proxies, and the commands must use SC2
(write `{SC}` in them; it is replaced). The proxy forwards bytes unchanged and notes, per
connection, when a request's first byte arrived from the client and when the answer's last byte
left the server. With the command's own start and end this splits every run into:

  start→Fulcio   process start, token check, key generation, anything before the first request
  Fulcio         certificate request → answer (includes Fulcio's wait for the CT log's SCT)
  sign           certificate answer → next request (signing, envelope)
  TSA, Rekor     each request → answer (Rekor includes its wait for the log checkpoint)
  TSA+Rekor      first of the two requests → last of the two answers (overlap shows here)
  end            last answer → process exit (bundle assembly, writing, any local check)

With --fulcio-log, the row `Fulcio (own log)` is Fulcio's own time for the call (`grpc.time_ms`
of CreateSigningCertificate in its log), a check on the proxy's figure.

Prints the median of each phase per command. The proxy adds well under a millisecond per request
to every client alike.
"""
import argparse
import asyncio
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

EVENTS = []  # (service, t_request_start, t_answer_end)
LOCK = threading.Lock()


class Conn:
    """One proxied connection: a request starts with client bytes after an answer (or at the
    start); it ends with the last server bytes before the next request."""

    def __init__(self, service):
        self.service = service
        self.req_start = None
        self.last_answer = None

    def client_bytes(self):
        now = time.time()
        if self.req_start is None:
            self.req_start = now
        elif self.last_answer is not None:
            self.flush()
            self.req_start = now

    def server_bytes(self):
        self.last_answer = time.time()

    def flush(self):
        if self.req_start is not None and self.last_answer is not None:
            with LOCK:
                EVENTS.append((self.service, self.req_start, self.last_answer))
        self.req_start = None
        self.last_answer = None


async def pipe(reader, writer, on_bytes):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            on_bytes()
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:  # noqa: BLE001 - closing a broken socket
            pass


async def serve(service, upstream_host, upstream_port, listener):
    async def handle(creader, cwriter):
        conn = Conn(service)
        try:
            sreader, swriter = await asyncio.open_connection(upstream_host, upstream_port)
        except OSError:
            cwriter.close()
            return
        await asyncio.gather(
            pipe(creader, swriter, conn.client_bytes), pipe(sreader, cwriter, conn.server_bytes)
        )
        conn.flush()

    server = await asyncio.start_server(handle, sock=listener)
    async with server:
        await server.serve_forever()


def start_proxies(urls):
    """urls: {service: url}. Returns {service: proxy_url} (same path and query)."""
    loop = asyncio.new_event_loop()
    out = {}
    for service, url in urls.items():
        u = urllib.parse.urlsplit(url)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        port = sock.getsockname()[1]
        out[service] = urllib.parse.urlunsplit((u.scheme, f"127.0.0.1:{port}", u.path, u.query, ""))
        loop.create_task(serve(service, u.hostname, u.port or 80, sock))
    threading.Thread(target=loop.run_forever, daemon=True).start()
    return out


def phases(t0, t1, events):
    """One run's phases from its proxy events."""
    ev = sorted(events, key=lambda e: e[1])
    fulcio = [e for e in ev if e[0] == "Fulcio"]
    tsa = [e for e in ev if e[0] == "TSA"]
    rekor = [e for e in ev if e[0] == "Rekor"]
    if len(fulcio) != 1 or len(rekor) != 1:
        sys.exit(f"expected one Fulcio and one Rekor request per run, saw {[e[0] for e in ev]}")
    f = fulcio[0]
    after = tsa + rekor
    first_after = min(e[1] for e in after)
    last = max(e[2] for e in ev)
    p = {
        "start→Fulcio": f[1] - t0,
        "Fulcio": f[2] - f[1],
        "sign": first_after - f[2],
        "TSA": tsa[0][2] - tsa[0][1] if tsa else 0.0,
        "Rekor": rekor[0][2] - rekor[0][1],
        "TSA+Rekor": max(e[2] for e in after) - first_after,
        "end": t1 - last,
        "total": t1 - t0,
    }
    p["services"] = p["Fulcio"] + p["TSA+Rekor"]
    p["own"] = p["total"] - p["services"]
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--signing-config", required=True)
    ap.add_argument("--out-config", required=True)
    ap.add_argument(
        "--jitter",
        type=float,
        default=0.0,
        help="sleep a random 0..JITTER s before each run, so runs do not fall into step with a "
        "log's own publishing timer",
    )
    ap.add_argument("--fulcio-log", default=None, help="Fulcio's log file (scripts/sigstore-stack: DIR/logs/fulcio.log)")
    ap.add_argument("pairs", nargs="+")
    a = ap.parse_args()
    if len(a.pairs) % 2:
        sys.exit("expected NAME CMD pairs")
    sc = json.load(open(a.signing_config))
    pick = lambda key: sc[key][0]["url"] if sc.get(key) else None  # noqa: E731
    urls = {"Fulcio": pick("caUrls"), "Rekor": pick("rekorTlogUrls"), "TSA": pick("tsaUrls")}
    if len(sc["rekorTlogUrls"]) != 1 or len(sc["caUrls"]) != 1 or len(sc.get("tsaUrls") or []) > 1:
        sys.exit("keyless-phases.py: the signing config must name one service of each kind")
    proxied = start_proxies({k: v for k, v in urls.items() if v})
    for key, service in (("caUrls", "Fulcio"), ("rekorTlogUrls", "Rekor"), ("tsaUrls", "TSA")):
        if sc.get(key):
            sc[key][0]["url"] = proxied[service]
    with open(a.out_config, "w") as fh:
        json.dump(sc, fh)
    cmds = [(n, c.replace("{SC}", a.out_config)) for n, c in zip(a.pairs[0::2], a.pairs[1::2])]
    results = {n: [] for n, _ in cmds}
    for i in range(a.runs + 1):  # the first round warms caches and is not counted
        for n, c in cmds:
            if a.jitter:
                time.sleep(random.uniform(0, a.jitter))
            with LOCK:
                EVENTS.clear()
            log_at = os.path.getsize(a.fulcio_log) if a.fulcio_log else 0
            t0 = time.time()
            r = subprocess.run(c, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            t1 = time.time()
            if r.returncode != 0:
                sys.exit(f"command failed ({r.returncode}): {c}\n{r.stderr.decode(errors='replace')}")
            time.sleep(0.05)  # let the proxy close the connections
            with LOCK:
                ev = list(EVENTS)
            if i:
                p = phases(t0, t1, ev)
                if a.fulcio_log:
                    with open(a.fulcio_log, "rb") as fh:
                        fh.seek(log_at)
                        new = fh.read().decode(errors="replace")
                    ms = [
                        float(m.group(1))
                        for line in new.splitlines()
                        if '"CreateSigningCertificate"' in line
                        for m in [re.search(r'"grpc.time_ms": ([0-9.]+)', line)]
                        if m
                    ]
                    if len(ms) != 1:
                        sys.exit(f"expected one CreateSigningCertificate call in Fulcio's log, saw {len(ms)}")
                    p["Fulcio (own log)"] = ms[0] / 1000.0
                results[n].append(p)
    if os.environ.get("KEYLESS_PHASES_ALL"):
        for n in results:
            for r in results[n]:
                print(n, " ".join(f"{k}={v:.3f}" for k, v in r.items()))
    keys = list(next(iter(results.values()))[0].keys())
    names = [n for n, _ in cmds]
    print(f"{'phase (median s)':<16}" + "".join(f"{n:>28}" for n in names))
    for k in keys:
        print(f"{k:<16}" + "".join(f"{statistics.median(r[k] for r in results[n]):>28.3f}" for n in names))


if __name__ == "__main__":
    main()
