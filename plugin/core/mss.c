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

/* MTU = MSS + 40 for IPv4 (+ 60 for IPv6): p0f fp_mtu.c.  Labels follow
 * p0f.fp [mtu] (3.09b lines 18-83) unless another source is named. */
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
    {9000, false, "jumbo Ethernet", "p0f.fp [mtu]"},
    {16436, false, "loopback", "p0f.fp [mtu] 'loopback'"},
    {65535, false, "loopback", "Linux lo MTU 65536"},
};

bool ddi_mss_link(uint8_t ipver, uint16_t mss, ddi_link *out)
{
    out->mss = mss;
    out->mtu = 0;
    out->label = NULL;
    out->source = NULL;
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
     * --set-mss, will modify MSS, but not WSS". Window multiples that real
     * stacks use (4, 10, 20, 44 x MSS) keep the false-positive rate low. */
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
