"""kpsim calibrate: the measuring loops, run inside a throwaway network namespace.

`kpsim calibrate` starts this script as `unshare --net -- python3 -I probe.py`, so everything it
does (load rules, open sockets) happens in a namespace that has only its own loopback device and
disappears with the process. It reads a plan (JSON, stdin): a list of steps. It answers with one
JSON object (stdout): the result of every step, or the error that stopped it.

Timings: `thread` = this thread's CPU time (time.thread_time_ns, from the scheduler's exact
runtime, not from ticks) per operation, so time the machine spent on other processes is not
counted; `child` = user+system CPU of a command (os.wait4's rusage); `wall` = perf_counter_ns.
Python's standard library only (Debian's python3 package).
"""

import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time

MAX_OPS_PER_STEP = 200_000  # every connection attempt is bounded in count...
MAX_STEP_SECONDS = 120  # ...and in time (a sample loop stops and reports when this passes)


def thread_rusage():
    """This thread's user and system CPU (ns). Tick-sampled, then scaled to the exact runtime:
    good for the kernel's share of a whole step, not for one sample."""
    ru = resource.getrusage(resource.RUSAGE_THREAD)
    return ru.ru_utime * 1e9, ru.ru_stime * 1e9


def timed_samples(step, what, batch):
    """Runs batch(count) samples + 1 times (the first warms caches and is dropped) and returns the
    per-operation thread CPU and wall ns of each sample, and the step's user/system split."""
    count, samples = step["count"], step["samples"]
    if count * (samples + 1) > MAX_OPS_PER_STEP:
        fail(f"{what} step asks for {count * (samples + 1)} operations (limit {MAX_OPS_PER_STEP})")
    thread, wall = [], []
    u0, s0 = thread_rusage()
    deadline = time.monotonic() + MAX_STEP_SECONDS
    for k in range(samples + 1):
        c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
        batch(count)
        c1, t1 = time.thread_time_ns(), time.perf_counter_ns()
        if k > 0:
            thread.append((c1 - c0) / count)
            wall.append((t1 - t0) / count)
        if time.monotonic() > deadline:
            break
    u1, s1 = thread_rusage()
    return {"threadNs": thread, "wallNs": wall, "count": count, "userNs": round(u1 - u0), "sysNs": round(s1 - s0)}


def fail(message):
    json.dump({"ok": False, "error": message}, sys.stdout)
    sys.stdout.write("\n")
    sys.exit(3)


def check_sealed(step):
    # A fresh `unshare --net` namespace has exactly one device, lo, and a different inode.
    # /proc/self/net follows the network namespace (/sys/class/net is the host's sysfs mount).
    with open("/proc/self/net/dev") as f:
        links = sorted(line.split(":")[0].strip() for line in f.readlines()[2:])
    if links != ["lo"]:
        fail(f"not a fresh network namespace: devices {links}")
    inode = os.stat("/proc/self/ns/net").st_ino
    if inode == step.get("hostInode"):
        fail("still in the host's network namespace: refusing to touch netfilter")
    return {"links": links, "inode": inode}


def write_sysctl(step):
    path = step["path"]
    if not path.startswith("/proc/sys/net/"):
        fail(f"refusing to write {path}: only per-namespace net sysctls")
    try:
        with open(path, "w") as f:
            f.write(str(step["value"]))
    except OSError as e:
        if not step.get("optional"):
            fail(f"cannot write {path}: {e}")
        return {"skipped": str(e)}
    return {}


def read_file(step):
    try:
        with open(step["path"]) as f:
            return {"text": f.read(4096)}
    except OSError as e:
        return {"text": None, "error": str(e)}


def run(step):
    stdin = open(step["stdin"], "rb") if step.get("stdin") else subprocess.DEVNULL
    # Output goes to files, not pipes: wait4 must reap the child itself to get its rusage.
    # stdoutTo: keep the whole output in that file (e.g. an iptables-save dump).
    to = open(step["stdoutTo"], "w+b") if step.get("stdoutTo") else tempfile.TemporaryFile()
    with to as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter_ns()
        try:
            p = subprocess.Popen(step["argv"], stdin=stdin, stdout=out, stderr=err)
        except OSError as e:
            if step.get("allowFail"):
                return {"rc": 127, "stderr": str(e), "stdout": ""}
            fail(f"{step['argv'][0]}: {e}")
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter_ns() - t0
        p.returncode = rc = os.waitstatus_to_exitcode(status)
        if stdin is not subprocess.DEVNULL:
            stdin.close()
        out.seek(0)
        err.seek(0)
        res = {
            "rc": rc,
            "wallNs": wall,
            "cpuNs": round((ru.ru_utime + ru.ru_stime) * 1e9),
            "stdout": out.read()[-4000:].decode(errors="replace"),
            "stderr": err.read()[-2000:].decode(errors="replace"),
        }
    if rc != 0 and not step.get("allowFail"):
        fail(f"{' '.join(step['argv'][:3])} failed (exit {rc}): {res['stderr'].strip()[:600]}")
    return res


# One counter for the whole plan: connects of different steps never share a 4-tuple (which
# would find the earlier SYN's conntrack entry and skip the nat hook). The source port cycles
# over a prime number of ports, so (port, destination) repeats only after ports x destinations.
SPORT_BASE, SPORT_COUNT = 20000, 39989
tuple_counter = 0


def next_tuple(dsts):
    global tuple_counter
    k = tuple_counter
    tuple_counter += 1
    return SPORT_BASE + k % SPORT_COUNT, dsts[k % len(dsts)]


def connect_samples(step):
    """Non-blocking TCP connect()s: each sends one SYN through the OUTPUT hooks (nat first)."""
    src = step["src"]
    dsts = [(d[0], d[1]) for d in step["dsts"]]

    def batch(count):
        for _ in range(count):
            sport, dst = next_tuple(dsts)
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((src, sport))
            s.setblocking(False)
            s.connect_ex(dst)
            s.close()  # in SYN-SENT: nothing is sent, nothing retransmits

    return timed_samples(step, "connect", batch)


def udp_samples(step):
    """UDP datagrams over loopback to a local receiver, drained as they come: the plain packet
    path, or (with conntrack on) one lookup per hook; mode "new" gives every datagram a new flow."""
    port = step["port"]
    base = step["dstBase"]  # integer address; "new" walks base .. base + span - 1
    span = step["span"] if step["mode"] == "new" else 1
    dsts = [socket.inet_ntoa((base + i).to_bytes(4, "big")) for i in range(span)]
    payload = b"x" * 16
    state = {"n": step.get("offset", 0), "received": 0}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        rx.bind(("0.0.0.0", port))
        rx.setblocking(False)
        tx.bind((step["src"], 0))

        def batch(count):
            n = state["n"]
            for i in range(count):
                tx.sendto(payload, (dsts[(n + i) % span], port))
                if i & 31 == 31:
                    try:
                        while True:
                            rx.recv(64)
                            state["received"] += 1
                    except BlockingIOError:
                        pass
            state["n"] = n + count

        res = timed_samples(step, "udp", batch)
    res["received"] = state["received"]
    return res


def nfacct_add(step):
    """Create nfacct counters over netlink (NFNL_SUBSYS_ACCT, NFNL_MSG_ACCT_NEW), as kube-proxy
    does before it restores rules that name them with `-m nfacct`."""
    import struct

    created = []
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12) as nl:  # NETLINK_NETFILTER
        nl.bind((0, 0))
        for seq, name in enumerate(step["names"], 1):
            raw = name.encode() + b"\0"
            attr = struct.pack("=HH", 4 + len(raw), 1) + raw + b"\0" * (-len(raw) % 4)  # NFACCT_NAME
            body = struct.pack("=BBH", 0, 0, 0) + attr  # nfgenmsg: AF_UNSPEC, NFNETLINK_V0
            # type (7 << 8) | 0; flags NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE
            msg = struct.pack("=IHHII", 16 + len(body), 7 << 8, 0x1 | 0x4 | 0x400, seq, 0) + body
            nl.send(msg)
            reply = nl.recv(4096)
            err = struct.unpack_from("=i", reply, 16)[0]
            if err not in (0, -17):  # 0 or EEXIST
                fail(f"nfacct counter {name}: {os.strerror(-err)}")
            created.append(name)
    return {"created": created}


OPS = {
    "nfacct-add": nfacct_add,
    "check-sealed": check_sealed,
    "sysctl": write_sysctl,
    "read": read_file,
    "run": run,
    "connect": connect_samples,
    "udp": udp_samples,
}


def main():
    plan = json.load(sys.stdin)
    results = []
    for step in plan["steps"]:
        op = OPS.get(step["op"])
        if op is None:
            fail(f"unknown step {step['op']}")
        res = op(step)
        res["op"] = step["op"]
        if "label" in step:
            res["label"] = step["label"]
        results.append(res)
    json.dump({"ok": True, "results": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 -- any failure becomes the one JSON answer
        fail(f"{type(e).__name__}: {e}")
