/* mss.c — the one table of MSS/MTU values and what they mean.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "mss.h"

#include <stddef.h>

typedef struct mtu_row {
    uint16_t mtu;
    bool pppoe;
    const char *label;
    const char *source;
} mtu_row;

/* MTU = MSS + 40 for IPv4 (+ 60 for IPv6): p0f fp_mtu.c.  ddi's one MSS/link
 * table: every value of p0f.fp's [mtu] section (3.09b lines 18-83; a unit
 * test checks them all against the installed file), with ddi's additions
 * (PPPoE flags, clearer labels, other sources).  The [mtu] section of a
 * loaded database is checked and counted, not used (p0fdb.h). */
static const mtu_row mtu_table[] = {
    {1500, false, "Ethernet", "p0f.fp [mtu] 'Ethernet or modem'"},
    {1496, false, "802.1Q VLAN-sized MTU", "p0f.fp [mtu] 'VLAN'"},
    {1494, true, "DSL (PPPoE variant)", "p0f.fp [mtu] 'DSL' 1494"},
    {1492, true, "PPPoE (1500 - 8 bytes PPPoE/PPP header)", "RFC 2516; p0f.fp [mtu] 'DSL' 1492"},
    {1490, false, "PPTP", "p0f.fp [mtu] 'PPTP'"},
    {1480, false, "IPIP or SIT (6in4) tunnel", "p0f.fp [mtu] 'IPIP or SIT'"},
    {1476, false, "GRE or IPsec tunnel", "p0f.fp [mtu] 'IPSec or GRE'"},
    {1470, false, "Google", "p0f.fp [mtu] 'Google'"},
    {1460, false, "generic tunnel or VPN (also Google Cloud VPC default)", "p0f.fp [mtu]; GCP VPC MTU docs"},
    {1454, true, "DSL (PPPoE variant)", "p0f.fp [mtu] 'DSL' 1454"},
    {1452, true, "DSL (PPPoE variant)", "p0f.fp [mtu] 'DSL' 1452"},
    /* 1450: the published Deep Darknet Inspection reading ("1410 is sometimes
     * used by PPPoE-connected hosts"); also VXLAN (50 bytes over 1500) */
    {1450, true, "PPPoE router clamp, or VXLAN / generic tunnel or VPN",
     "Team Cymru 'Deep Darknet Inspection' pt.1; p0f.fp [mtu] 'generic tunnel or VPN'; OpenStack VXLAN MTU"},
    {1440, false, "generic tunnel or VPN (WireGuard over IPv4)", "p0f.fp [mtu]; WireGuard list 2017"},
    {1420, false, "generic tunnel or VPN (WireGuard default)", "p0f.fp [mtu]; WireGuard default MTU 1420"},
    {1400, false, "generic tunnel or VPN (GRE+IPsec)", "p0f.fp [mtu]; Cisco doc 25885"},
    {1300, false, "generic tunnel or VPN", "p0f.fp [mtu]"},
    {1280, false, "IPv6 minimum MTU / GIF tunnel", "RFC 8200 §5; p0f.fp [mtu] 'GIF'"},
    {1240, false, "GIF tunnel", "p0f.fp [mtu] 'GIF'"},
    {576, false, "minimum IPv4 datagram (no PMTU info; dial-up, embedded stacks)", "RFC 879; p0f.fp [mtu]"},
    {552, false, "SLIP", "p0f.fp [mtu] 'SLIP'"},
    {256, false, "AX.25 radio modem", "p0f.fp [mtu]"},
    {1656, false, "Ericsson HIS modem", "p0f.fp [mtu] 'Ericsson HIS modem'"},
    {9000, false, "jumbo Ethernet", "p0f.fp [mtu]"},
    {3924, false, "loopback", "p0f.fp [mtu] 'loopback'"},
    {16384, false, "loopback", "p0f.fp [mtu] 'loopback'"},
    {16436, false, "loopback", "p0f.fp [mtu] 'loopback'"},
    {65535, false, "loopback", "Linux lo MTU 65536"},
};

#define DDI_MSS_TUNNEL_MIN_MTU 1280 /* RFC 8200 §5: every IPv6 link, hence every tunnel carrying it */

/* Encapsulations that reduce the MTU of the hosts inside them, in the order
 * they are preferred when a frame has several (the innermost overlays
 * first).  Overheads are for an IPv4 underlay of 1500 bytes. */
typedef struct encap_row {
    uint16_t bit;
    uint16_t overhead; /* the least the encapsulation adds over IPv4 */
    const char *name;
    const char *label;
    const char *source;
} encap_row;

static const encap_row encap_table[] = {
    {DDI_ENCAP_VXLAN, 50, "VXLAN", "VXLAN overlay (VXLAN header in this frame; 50 bytes over a 1500-byte link leave 1450)",
     "RFC 7348 §4 (outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8)"},
    {DDI_ENCAP_GENEVE, 50, "Geneve", "Geneve overlay (Geneve header in this frame; 50 bytes or more over a 1500-byte link)",
     "RFC 8926 §4.1.1"},
    {DDI_ENCAP_WIREGUARD, 60, "WireGuard",
     "WireGuard tunnel (WireGuard in this frame; 60 bytes over IPv4, 80 over IPv6: default MTU 1420)",
     "IP + UDP 8 + WireGuard data header and tag 32; wg-quick default MTU 1420"},
    {DDI_ENCAP_ESP, 50, "IPsec ESP", "IPsec ESP tunnel (ESP in this frame; 50-73 bytes by cipher and mode)",
     "RFC 4303; Cisco doc 25885"},
    {DDI_ENCAP_GTP, 36, "GTP-U", "GTP-U mobile core (GTP-U in this frame; at least 36 bytes over IPv4)",
     "3GPP TS 29.281 (GTP-U header 8 bytes, over UDP/IP)"},
    {DDI_ENCAP_L2TP, 36, "L2TP", "L2TP tunnel (L2TP in this frame; about 40 bytes over IPv4)", "RFC 2661"},
    {DDI_ENCAP_GRE, 24, "GRE", "GRE tunnel (GRE header in this frame; 24 bytes over IPv4 leave 1476)",
     "RFC 2784; p0f.fp [mtu] 'IPSec or GRE'"},
    {DDI_ENCAP_TEREDO, 28, "Teredo", "Teredo (IPv6 in UDP/IPv4 in this frame; default IPv6 MTU 1280)", "RFC 4380 §5.2"},
    {DDI_ENCAP_IPIP, 20, "IP-in-IP", "IP-in-IP tunnel (an outer IP header in this frame; 20 bytes over IPv4 leave 1480)",
     "RFC 2003; p0f.fp [mtu] 'IPIP or SIT'"},
    {DDI_ENCAP_MPLS, 4, "MPLS", "MPLS (labels in this frame; 4 bytes each, where the core MTU is not raised)",
     "RFC 3032 §3.2"},
};

bool ddi_mss_link_encap(uint8_t ipver, uint16_t mss, uint16_t encap, ddi_link *out)
{
    if (!ddi_mss_link(ipver, mss, out))
        return false;
    if (!out->reduced || !encap)
        return true;
    for (size_t i = 0; i < sizeof encap_table / sizeof encap_table[0]; i++) {
        const encap_row *r = &encap_table[i];
        /* a tunnel leaves at most 1500 - overhead, and no tunnel takes a
         * link below IPv6's 1280: 576 is a stack without PMTU information
         * (the Cisco router in zeek mixed-vlan-mpls.pcap, behind MPLS) */
        if ((encap & r->bit) && out->mtu >= DDI_MSS_TUNNEL_MIN_MTU && out->mtu + r->overhead <= 1500) {
            out->tunnel = r->name;
            out->label = r->label;
            out->source = r->source;
            out->pppoe = false; /* the tunnel seen explains it before PPPoE is guessed */
            return true;
        }
    }
    if ((encap & DDI_ENCAP_PPPOE) && out->mtu <= 1492) {
        out->tunnel = "PPPoE";
        out->label = "PPPoE (PPPoE session header in this frame; 8 bytes over a 1500-byte link leave 1492)";
        out->source = "RFC 2516 §7";
        out->pppoe = true;
    }
    return true;
}

bool ddi_mss_link(uint8_t ipver, uint16_t mss, ddi_link *out)
{
    out->mss = mss;
    out->mtu = 0;
    out->label = NULL;
    out->source = NULL;
    out->tunnel = NULL;
    out->pppoe = out->reduced = false;
    if (!mss)
        return false;
    unsigned mtu = (unsigned)mss + (ipver == 6 ? 60u : 40u);
    out->mtu = mtu > 0xffff ? 0xffff : (uint16_t)mtu;
    out->reduced = mtu < 1500;
    for (size_t i = 0; i < sizeof mtu_table / sizeof mtu_table[0]; i++) {
        if (mtu_table[i].mtu == out->mtu) {
            out->label = mtu_table[i].label;
            out->source = mtu_table[i].source;
            out->pppoe = mtu_table[i].pppoe;
            return true;
        }
    }
    out->label = mtu < 1500 ? "reduced MTU: tunnel, VPN or MSS clamp (value not in table)"
                            : "larger than Ethernet (jumbo frames or loopback)";
    out->source = "MTU = MSS + IP/TCP headers (p0f fp_mtu.c)";
    return true;
}

bool ddi_mss_clamped(uint16_t win, uint16_t mss, bool has_ts, uint16_t *orig_mss)
{
    static const uint16_t lan_mss[] = {1460, 1448};
    /* p0f v2 p0f.fp header: "Some NAT devices, such as Linux iptables with
     * --set-mss, will modify MSS, but not WSS".  Only the window multiples
     * that common stacks' signatures give (p0f 3.09b p0f.fp and ddi.fp
     * windows mss*4, mss*10, mss*20 for Linux, mss*44 for Android and
     * Windows 10; docs/references.md#mss) count, which keeps chance
     * multiples out. */
    static const uint16_t mult[] = {4, 10, 20, 44};
    if (!mss || !win)
        return false;
    for (size_t i = 0; i < sizeof lan_mss / sizeof lan_mss[0]; i++) {
        uint16_t m = lan_mss[i];
        if (m == 1448 && !has_ts)
            continue;
        if (mss >= m || win % m)
            continue;
        for (size_t k = 0; k < sizeof mult / sizeof mult[0]; k++) {
            if (win == m * mult[k]) {
                if (win % mss == 0) /* also an exact multiple of its own MSS: no evidence */
                    return false;
                if (orig_mss)
                    *orig_mss = m;
                return true;
            }
        }
    }
    return false;
}
