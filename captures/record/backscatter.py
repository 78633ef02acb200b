#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ddi capture recorder -- backscatter stimulus.
#
# Runs inside the attacker namespace (ddi-atk, 203.0.113.66) created by
# record.sh.  Sends a small, fixed set of packets whose SOURCE address is
# spoofed to darknet addresses in 198.51.100.0/24 towards victim addresses
# in 203.0.113.0/24 (and through two victim routers towards 192.0.2.0/24).
# The victims' kernels answer the spoofed sources, so the replies are
# routed into the darknet namespace and captured there as backscatter.
#
# Only documentation prefixes (RFC 5737) are used and every packet is sent
# exactly once (about 16 packets in total).  Uses Debian's python3-scapy.

import sys
import time

from scapy.all import IP, TCP, UDP, ICMP, conf, send
from scapy.supersocket import L3RawSocket

# Let the kernel do routing/ARP for us (raw socket with IP_HDRINCL), so the
# spoofed packets follow the namespace's own routes.
conf.L3socket = L3RawSocket
conf.verb = 0

ALLOWED = ("192.0.2.", "198.51.100.", "203.0.113.")

# Linux-like SYN options (as sent by a default Linux client).
LINUX_OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (123456789, 0)),
              ("NOP", None), ("WScale", 7)]

# (label, packet) -- each victim address answers exactly one kind of stimulus.
PKTS = [
    # 203.0.113.50: SYN to an open port (listener on :80) -> SYN-ACK (the
    # victim then retransmits the SYN-ACK at ~1 s, 3 s, 7 s ...).
    ("synack", IP(src="198.51.100.101", dst="203.0.113.50", id=1001, ttl=64) /
     TCP(sport=40001, dport=80, flags="S", seq=1000001, window=512)),
    ("synack", IP(src="198.51.100.102", dst="203.0.113.50", id=1002, ttl=64) /
     TCP(sport=40002, dport=80, flags="S", seq=1000002, window=512)),
    ("synack", IP(src="198.51.100.103", dst="203.0.113.50", id=1003, ttl=64, flags="DF") /
     TCP(sport=40003, dport=80, flags="S", seq=1000003, window=64240,
         options=LINUX_OPTS)),
    # 203.0.113.51: SYN to a closed port -> RST-ACK.
    ("rstack", IP(src="198.51.100.111", dst="203.0.113.51", id=1011) /
     TCP(sport=40011, dport=81, flags="S", seq=2000011, window=512)),
    ("rstack", IP(src="198.51.100.112", dst="203.0.113.51", id=1012) /
     TCP(sport=40012, dport=81, flags="S", seq=2000012, window=512)),
    # 203.0.113.52: bare ACK to a closed port -> RST (seq = our ack).
    ("rst", IP(src="198.51.100.121", dst="203.0.113.52", id=1021) /
     TCP(sport=40021, dport=80, flags="A", seq=3000021, ack=0x52520021,
         window=512)),
    ("rst", IP(src="198.51.100.122", dst="203.0.113.52", id=1022) /
     TCP(sport=40022, dport=80, flags="A", seq=3000022, ack=0x52520022,
         window=512)),
    # 203.0.113.53: UDP to a closed port -> ICMP port unreachable quoting UDP.
    ("icmp-port-unreach", IP(src="198.51.100.131", dst="203.0.113.53", id=1031) /
     UDP(sport=40031, dport=53) / (b"\x13\x37" + b"\x01\x00\x00\x01" + b"\x00" * 6)),
    ("icmp-port-unreach", IP(src="198.51.100.132", dst="203.0.113.53", id=1032) /
     UDP(sport=40032, dport=123) / (b"\x1b" + b"\x00" * 47)),
    # 203.0.113.54: ICMP echo request -> echo reply.
    ("echo-reply", IP(src="198.51.100.141", dst="203.0.113.54", id=1041) /
     ICMP(type=8, id=0x4141, seq=1) / b"ddi-backscatter-echo"),
    ("echo-reply", IP(src="198.51.100.142", dst="203.0.113.54", id=1042) /
     ICMP(type=8, id=0x4142, seq=2) / b"ddi-backscatter-echo"),
    # 203.0.113.60 (a router): TCP SYN whose TTL expires there -> ICMP time
    # exceeded quoting the TCP header.  TTL 2: ddi-rt decrements it first.
    ("icmp-ttl-exceeded", IP(src="198.51.100.151", dst="192.0.2.100", id=1051, ttl=2) /
     TCP(sport=40051, dport=80, flags="S", seq=5000051, window=512)),
    ("icmp-ttl-exceeded", IP(src="198.51.100.152", dst="192.0.2.101", id=1052, ttl=2) /
     TCP(sport=40052, dport=443, flags="S", seq=5000052, window=512)),
    # 203.0.113.61 (a router with an 'unreachable' route for 192.0.2.192/27):
    # TCP SYN -> ICMP destination (host) unreachable quoting the TCP header.
    ("icmp-host-unreach", IP(src="198.51.100.161", dst="192.0.2.200", id=1061) /
     TCP(sport=40061, dport=80, flags="S", seq=6000061, window=512)),
    ("icmp-host-unreach", IP(src="198.51.100.162", dst="192.0.2.201", id=1062) /
     TCP(sport=40062, dport=22, flags="S", seq=6000062, window=512)),
]


def main():
    for label, pkt in PKTS:
        if not (pkt[IP].src.startswith(ALLOWED) and pkt[IP].dst.startswith(ALLOWED)):
            sys.exit("refusing to send outside documentation prefixes: %s" % pkt.summary())
    for label, pkt in PKTS:
        send(pkt, count=1)
        print("sent %-18s %s" % (label, pkt.summary()))
        time.sleep(0.05)


if __name__ == "__main__":
    main()
