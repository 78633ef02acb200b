/* pkt.h — one packet as ddi sees it, parsed from raw header bytes.
 *
 * The Wireshark glue hands the bytes of one IP header (and what follows it,
 * as far as it was captured) to ddi_pkt_parse(); everything else in the core
 * works on the struct below.  Parsing raw bytes ourselves (as p0f does)
 * keeps the core testable without Wireshark and lets it see exactly what a
 * fingerprint needs: option order, padding after EOL, malformed options.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_PKT_H
#define DDI_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DDI_MAX_OPTS 40 /* a 40-byte option area holds at most 40 options */

typedef struct ddi_addr {
    uint8_t family; /* 4 or 6; 0 = unset */
    uint8_t a[16];  /* IPv4 uses a[0..3] */
} ddi_addr;

/* TCP option kinds that have names (in p0f's olayout notation and in ddi's
 * evidence text: one table, ddi_tcp_opt_*() in pkt.c). */
enum {
    DDI_OPT_EOL = 0,
    DDI_OPT_NOP = 1,
    DDI_OPT_MSS = 2,
    DDI_OPT_WS = 3,
    DDI_OPT_SOK = 4,
    DDI_OPT_SACK = 5,
    DDI_OPT_TS = 8,
};

/* p0f v3 quirks (names as in p0f.fp; set as p0f's process.c sets them). */
enum {
    DDI_Q_DF = 1u << 0,     /* df    : IPv4 DF set */
    DDI_Q_NZ_ID = 1u << 1,  /* id+   : DF set and IP ID != 0 */
    DDI_Q_ZERO_ID = 1u << 2, /* id-  : DF clear and IP ID == 0 */
    DDI_Q_ECN = 1u << 3,    /* ecn   : ECN bits in IP, or ECE/CWR/NS in TCP */
    DDI_Q_NZ_MBZ = 1u << 4, /* 0+    : IPv4 reserved flag set */
    DDI_Q_FLOW = 1u << 5,   /* flow  : IPv6 flow label != 0 */
    DDI_Q_ZERO_SEQ = 1u << 6, /* seq- */
    DDI_Q_NZ_ACK = 1u << 7, /* ack+  : ACK number != 0, ACK flag clear */
    DDI_Q_ZERO_ACK = 1u << 8, /* ack- : ACK number == 0, ACK flag set */
    DDI_Q_NZ_URG = 1u << 9, /* uptr+ : urgent pointer != 0, URG clear */
    DDI_Q_URG = 1u << 10,   /* urgf+ */
    DDI_Q_PUSH = 1u << 11,  /* pushf+ */
    DDI_Q_OPT_ZERO_TS1 = 1u << 12, /* ts1- : TSval == 0 */
    DDI_Q_OPT_NZ_TS2 = 1u << 13,   /* ts2+ : TSecr != 0 in a SYN */
    DDI_Q_OPT_EOL_NZ = 1u << 14,   /* opt+ : non-zero bytes after EOL */
    DDI_Q_OPT_EXWS = 1u << 15,     /* exws : window scale > 14 */
    DDI_Q_OPT_BAD = 1u << 16,      /* bad  : malformed options */
};

/* TCP flag bits as on the wire (NS is bit 8). */
enum {
    DDI_TH_FIN = 0x01, DDI_TH_SYN = 0x02, DDI_TH_RST = 0x04, DDI_TH_PUSH = 0x08,
    DDI_TH_ACK = 0x10, DDI_TH_URG = 0x20, DDI_TH_ECE = 0x40, DDI_TH_CWR = 0x80,
    DDI_TH_NS = 0x100,
};

typedef struct ddi_tcp {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint16_t flags;
    uint16_t win, urg;
    uint8_t hdr_len;       /* data offset in bytes (may be < 20 if malformed) */
    uint32_t payload_len;  /* from IP lengths, not from what was captured */
    /* options, in order, as parsed from the captured bytes */
    uint8_t nopt;
    uint8_t olayout[DDI_MAX_OPTS]; /* option kinds in order (EOL ends it) */
    uint8_t eol_pad;               /* bytes after EOL (p0f "eol+N") */
    bool has_mss, has_ws, has_ts, has_sok;
    uint16_t mss;
    uint8_t ws;
    uint32_t tsval, tsecr;
    bool opts_complete; /* the whole option area was captured and parsed */
} ddi_tcp;

/* Ports and addresses of the header quoted inside an ICMP error. */
typedef struct ddi_quote {
    uint8_t ver;
    ddi_addr src, dst;
    uint8_t proto;
    bool has_ports;
    uint16_t sport, dport;
    bool has_seq;
    uint32_t seq;
    bool has_icmp;         /* a quoted ICMP message (e.g. traceroute -I's echo request) */
    uint8_t icmp_type;
    uint16_t icmp_id, icmp_seq;
} ddi_quote;

typedef enum ddi_l4 {
    DDI_L4_NONE = 0,
    DDI_L4_TCP,
    DDI_L4_UDP,
    DDI_L4_ICMP, /* ICMP or ICMPv6 */
    DDI_L4_OTHER,
} ddi_l4;

/* Encapsulations found in the frame outside the analysed IP header.  The
 * core cannot see them (it parses one IP header onwards); the glue fills
 * ddi_pkt.encap from the protocols Wireshark dissected before that header.
 * A tunnel in the frame is the first explanation of a reduced MSS: a sender
 * inside a VXLAN overlay has a 1450-byte MTU without any PPPoE. */
enum {
    DDI_ENCAP_VXLAN = 1u << 0,
    DDI_ENCAP_GENEVE = 1u << 1,
    DDI_ENCAP_GRE = 1u << 2,     /* also ERSPAN, NVGRE */
    DDI_ENCAP_ESP = 1u << 3,     /* IPsec */
    DDI_ENCAP_WIREGUARD = 1u << 4,
    DDI_ENCAP_GTP = 1u << 5,     /* GTP-U (mobile core) */
    DDI_ENCAP_MPLS = 1u << 6,
    DDI_ENCAP_L2TP = 1u << 7,
    DDI_ENCAP_TEREDO = 1u << 8,
    DDI_ENCAP_IPIP = 1u << 9,    /* an outer IP header with none of the above between */
    DDI_ENCAP_PPPOE = 1u << 10,  /* a PPPoE session header in the frame */
    DDI_ENCAP__BITS = 11,
};

/* The one encapsulation that is the first explanation of a reduced MSS (the
 * innermost overlays before transport tunnels, MPLS and PPPoE last), as a
 * 4-bit code that fits the frame record: later passes restore exactly what
 * the first pass used.  0 = none. */
uint8_t ddi_encap_code(uint16_t encap);
uint16_t ddi_encap_bit(uint8_t code);

typedef struct ddi_pkt {
    double ts;          /* seconds since the epoch (packet time) */
    int64_t ts_ns;      /* the same in nanoseconds, exact where ts is not: a double holds
                         * today's epoch to ~0.24 us (set from ts by ddi_pkt_parse; the
                         * glue overwrites it with the capture's own timestamp) */
    uint32_t frame;     /* frame number, for diagnostics only */
    uint16_t encap;     /* DDI_ENCAP_* seen outside the analysed header (glue; 0 = none) */

    /* network layer */
    uint8_t ver;        /* 4 or 6 */
    ddi_addr src, dst;
    uint8_t ttl;        /* TTL or hop limit */
    uint8_t tos;        /* TOS / traffic class (ECN in the low 2 bits) */
    uint16_t ip_id;     /* IPv4 only */
    bool df, mf, rf;
    uint16_t frag_off;  /* in bytes */
    uint8_t ip_opt_len; /* IPv4 options length (p0f olen) */
    uint32_t flow;      /* IPv6 flow label */
    uint8_t proto;      /* upper-layer protocol number after extension headers */
    uint16_t ip_len;    /* total (v4) or header+payload (v6) length claimed */
    bool fragment;      /* MF set or offset != 0 (v4), fragment header (v6) */
    bool reassembled;   /* a whole datagram rebuilt from fragments (ddi_pkt_parse_reassembled) */
    bool truncated;     /* fewer bytes captured than the headers claim */

    ddi_l4 l4;
    bool l4_ports;      /* the first 8 bytes (ports, TCP seq) were captured */
    bool l4_complete;   /* fixed part of the L4 header was captured */
    ddi_tcp tcp;        /* valid when l4 == DDI_L4_TCP && l4_complete */
    uint16_t udp_sport, udp_dport, udp_len;
    uint8_t icmp_type, icmp_code;
    uint16_t icmp_id, icmp_seq;
    bool has_quote;     /* ICMP error carrying a quoted header */
    ddi_quote quote;

    uint32_t quirks;    /* DDI_Q_* */
} ddi_pkt;

/* Parse one IP packet (IPv4 or IPv6, chosen by the version nibble) from
 * `caplen` captured bytes.  Never reads outside [buf, buf+caplen).  Returns
 * true if at least the network header was usable; the flags in the struct
 * say how much more was. */
bool ddi_pkt_parse(const uint8_t *buf, size_t caplen, double ts, ddi_pkt *out);

/* A fragmented datagram, once reassembled: the network header of one of its
 * fragments (`hdr`, as captured) and the reassembled upper-layer bytes
 * (`payload`, what follows the fragment header).  The result describes the
 * whole datagram (fragment false, reassembled true).  Returns false unless
 * `hdr` parses and is a fragment. */
bool ddi_pkt_parse_reassembled(const uint8_t *hdr, size_t hdr_cap, const uint8_t *payload, size_t plen, double ts,
                               ddi_pkt *out);

/* Parse a TCP option area; fills the option fields of `t` and ORs option
 * quirks into *quirks.  Exposed for unit tests. */
void ddi_tcp_parse_options(const uint8_t *opt, size_t len, bool syn, ddi_tcp *t,
                           uint32_t *quirks);

/* Convenience predicates. */
static inline bool ddi_pkt_is_tcp(const ddi_pkt *p) { return p->l4 == DDI_L4_TCP && p->l4_complete; }
static inline bool ddi_pkt_is_syn(const ddi_pkt *p)
{
    return ddi_pkt_is_tcp(p) && (p->tcp.flags & (DDI_TH_SYN | DDI_TH_ACK | DDI_TH_RST | DDI_TH_FIN)) == DDI_TH_SYN;
}
static inline bool ddi_pkt_is_icmp_error(uint8_t ver, uint8_t type)
{
    if (ver == 4)
        return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    return type >= 1 && type <= 4; /* ICMPv6 errors */
}

/* Text form of an address into buf (at least 46 bytes). */
const char *ddi_addr_str(const ddi_addr *a, char *buf, size_t len);
bool ddi_addr_eq(const ddi_addr *a, const ddi_addr *b);
uint32_t ddi_addr_v4(const ddi_addr *a); /* host byte order; 0 for IPv6 */

/* Name of a TCP option kind in ddi's evidence text ("MSS", "SACK-perm",
 * "EOL"); NULL for a kind without a name. */
const char *ddi_tcp_opt_name(uint8_t kind);
/* Name of a kind in p0f's olayout notation ("mss", "sok"); NULL for EOL
 * (p0f writes "eol+N") and for kinds p0f writes as "?N" (p0f README §5). */
const char *ddi_tcp_opt_p0f(uint8_t kind);
/* The kind p0f's olayout name `s` (n bytes, not NUL-terminated) stands for. */
bool ddi_tcp_opt_from_p0f(const char *s, size_t n, uint8_t *kind);

/* The SYN's options, in order, are exactly `kinds`.  EOL padding at the end
 * (of the packet's layout or of `kinds`) is not part of the order.  Callers
 * that need the whole option area captured check opts_complete themselves. */
bool ddi_tcp_layout_is(const ddi_tcp *t, const uint8_t *kinds, size_t n);

#endif
