;
; ddi.fp - ddi's own p0f v3 signatures
; ------------------------------------
;
; Same format as p0f.fp (p0f 3.09b docs/README section 5).  p0f's database
; dates from 2012-2016: it lacks stacks that now send most SYNs (Windows 10+,
; Linux 4.20+), lacks the Windows 2000/XP SYN with RFC 1323 options, and
; knows macOS and FreeBSD only from before they stopped setting an IP ID on
; DF packets, so today's Apple and FreeBSD SYNs match it only fuzzily.
;
; ddi loads this file BEFORE p0f.fp (preference ddi.own_db): where both hold
; an exact (s:) match, the newer label here wins; p0f's tiers still hold
; across files, so a generic or fuzzy match here never beats an exact one
; there.
;
; Every entry cites its source.  Keys:
;   P0F      p0f 3.09b p0f.fp (= Debian /etc/p0f/p0f.fp), Lnnn = line
;   P0F2     p0f v2 SYN database (copy: zeek/zeek scripts/base/misc/p0f.fp)
;   P0F-W10  peace-maker/p0f3-database p0f.fp (third-party p0f v3 additions)
;   LNX      torvalds/linux; XNU = apple/darwin-xnu; FBSD = freebsd/freebsd-src
;   NMAP-DB  nmap-os-db (Debian nmap 7.93, $Id 38353 2022-02-18)
;   FACTS    ddi's docs/os-stack-facts.md (shared research notes), section
;   CAP      a SYN in ddi's shared capture corpus (labels per its MANIFEST.md)
;

classes = win,unix,other

[tcp:request]

; -------
; Windows
; -------

; Windows 2000/XP/2003 with RFC 1323 options on (Tcp1323Opts): window scale
; and timestamp options, and TSval 0 in the SYN (ts1-).  p0f v3 has no SYN
; signature with this layout.
;   P0F2 generic "*:128:1:64:M*,N,W0,N,N,T0,N,N,S" and "...W*..." =
;   "XP/2000 (RFC1323+, w, tstamp+)"; P0F L401/L410 (the same options and ts1-
;   in XP's SYN+ACKs); FACTS 4 (seed SYN: win 65535, MSS 1410, WS 0, TSval 0, TTL 113).
label = s:win:Windows:2000/XP/2003 (RFC 1323 on)
sig   = *:128:0:*:*,*:mss,nop,ws,nop,nop,ts,nop,nop,sok:df,id+,ts1-:0
; Timestamps without window scaling: P0F2 "*:128:1:52:M*,N,N,T0,N,N,S" =
; "XP/2000 (RFC1323+, w-, tstamp+)"; P0F L400/L409 (XP SYN+ACK, same options).
sig   = *:128:0:*:*,*:mss,nop,nop,ts,nop,nop,sok:df,id+,ts1-:0

; Windows XP SP1+ / 2000 SP3 with window 44 x MSS (64240 at MSS 1460): p0f v3
; knows only 16384 and 65535 (P0F L176-181) and calls this "NT kernel" (L207).
;   P0F2 "S44:128:1:48:M*,N,N,S" = "Windows XP SP1+, 2000 SP3";
;   CAP pcapsock__http-session-winxp.pcap, pcapsock__netbios-ssn-request-winxp.pcap.
label = s:win:Windows:XP SP1+ or 2000 SP3
sig   = *:128:0:*:mss*44,0:mss,nop,nop,sok:df,id+:0

; Windows 7/8 with timestamps on and window scale 8: p0f has only the scale 2
; variant (P0F L187).
;   P0F L418 (Windows "7 or 8" SYN+ACK with exactly these options); FACTS 4.
label = s:win:Windows:7 or 8
sig   = *:128:0:*:8192,8:mss,nop,ws,sok,ts:df,id+:0

; Windows 10 and newer (11, Server 2016+): window 44 x MSS (64240 at MSS
; 1460), scale 8, no timestamps.  Windows 11 sharing it is unconfirmed
; (FACTS 4, 10).  Early Windows 10 builds sent 8192,8 and match P0F "7 or 8"
; (CAP arkime__wireshark-smb-on-windows10.pcap).
;   P0F-W10 "s:win:Windows:10" (this exact signature); FACTS 4;
;   CAP sv__bug-6733_input.pcap (TTL 122, 64240, scale 8).
label = s:win:Windows:10 or newer
sig   = *:128:0:*:mss*44,8:mss,nop,ws,nop,nop,sok:df,id+:0
; The window is computed from the host's own MSS 1460, so it stays 64240 when
; a hop rewrites the MSS.  p0f's "1460" rule (fp_tcp.c detect_win_multi) still
; calls that mss*44 unless the new MSS divides 64240 itself (e.g. 1168, 730).
sig   = *:128:0:*:64240,8:mss,nop,ws,nop,nop,sok:df,id+:0

; -----
; Linux
; -----

; Linux 4.20 and newer: initial receive window ~64 KB rounded down to a
; multiple of the MSS: 44 x 1460 = 64240 (IPv4, Ethernet), 45 x 1440 = 64800
; (IPv6, or IPv4 on a 1480 MTU).  Scale 7 with the default 6 MB tcp_rmem[2].
;   LNX a337531b942b "tcp: up initial rmem to 128KB and SYN rwin to around
;   64KB" (4.20); LNX net/ipv4/tcp_output.c tcp_select_initial_window()
;   ("space = rounddown(space, mss)"); P0F-W10 "s:unix:Linux:5.x and newer"
;   (mss*44,7); FACTS 4; CAP probing__nmap.pcapng (nmap -sT: 64240, scale 7).
label = s:unix:Linux:4.20 and newer
sig   = *:64:0:*:mss*44,7:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*45,7:mss,sok,ts,nop,ws:df,id+:0
; Scale 8/9: hosts whose rmem_max / tcp_rmem[2] were raised to 16-64 MB, the
; scale being the halvings needed to bring that below 64 KB.
;   LNX tcp_select_initial_window() (scale from max(tcp_rmem[2], rmem_max)).
sig   = *:64:0:*:mss*44,8:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*44,9:mss,sok,ts,nop,ws:df,id+:0
; IPv6: automatic flow labels are on by default, so Linux SYNs carry the
; 'flow' quirk; p0f's version-neutral Linux signatures ignore df/id+ on IPv6
; but cannot tolerate an added 'flow', so they never match these.
;   LNX include/net/ipv6.h: IP6_DEFAULT_AUTO_FLOW_LABELS = IP6_AUTO_FLOW_LABEL_OPTOUT.
sig   = 6:64:0:*:mss*45,7:mss,sok,ts,nop,ws:flow:0

; Linux 3.11-4.19 (p0f's "3.11 and newer", P0F L95-97) on IPv6 with flow
; labels, and with scale 8/9 (raised rmem, as above).
;   LNX include/net/ipv6.h (as above); LNX tcp_select_initial_window().
label = s:unix:Linux:3.11 and newer
sig   = 6:64:0:*:mss*20,7:mss,sok,ts,nop,ws:flow:0
sig   = *:64:0:*:mss*20,8:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*20,9:mss,sok,ts,nop,ws:df,id+:0

; Android: Linux option order with window 65535; p0f calls it generic "Linux
; 2.2.x-3.x" (P0F L163).
;   P0F-W10 "s:unix:Linux:(Android)" (65535,8, fixed MSS 1250);
;   CAP ndpi__android.pcap, ndpi__googledns_android10.pcap (65535,8),
;   arkime__fbzero-android.pcap (65535,6, MSS 1360).
label = s:unix:Linux:(Android)
sig   = *:64:0:*:65535,8:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:65535,6:mss,sok,ts,nop,ws:df,id+:0

; -------------
; macOS and iOS
; -------------

; macOS 10.13+ / iOS 11+ send DF packets with IP ID 0 (RFC 6864), i.e. 'df'
; without 'id+'.  Every Apple signature in p0f.fp (P0F L215-228) requires
; id+, so p0f matches these only fuzzily.  Scales 5-7 seen.
;   XNU bsd/netinet/ip_output.c ip_output_list(): "if (rfc6864 &&
;   IP_OFF_IS_ATOMIC(ip->ip_off)) ip->ip_id = 0"; NMAP-DB "Apple macOS 10.13
;   (High Sierra) - 10.15 (Catalina) or iOS 11.0 - 13.4" TI=Z (10.12: TI=RD);
;   CAP ndpi__safari.pcap, ndpi__tcp_scan.pcapng (macOS, scale 5),
;   ndpi__iphone.pcap (iOS, scale 6/7).
label = s:unix:Mac OS X:10.13+ or iOS 11+
sig   = *:64:0:*:65535,*:mss,nop,ws,nop,nop,ts,sok,eol+1:df:0
; With ECN negotiation on (ECE+CWR in the SYN): CAP ndpi__iphone.pcap, 14 of 15 SYNs.
sig   = *:64:0:*:65535,*:mss,nop,ws,nop,nop,ts,sok,eol+1:df,ecn:0

; -------
; FreeBSD
; -------

; FreeBSD with net.inet.ip.rfc6864=1 (the default) sends DF packets with IP
; ID 0; layout, window and scale as p0f's "9.x or newer" (P0F L234-235).
; The first release doing so is given as 12 by FACTS 4, unconfirmed (FACTS 10).
;   FBSD sys/netinet/ip_id.c ip_fillid(): "if (V_ip_rfc6864 && (ip->ip_off &
;   htons(IP_DF)) == htons(IP_DF)) ip->ip_id = 0".
label = s:unix:FreeBSD:12 or newer
sig   = *:64:0:*:65535,6:mss,nop,ws,sok,ts:df:0

[tcp:response]

; Linux 4.20+ SYN+ACKs (window 44 or 45 x MSS; the kernel sends IP ID 0 on
; them, hence 'df' alone).  p0f.fp knows Linux SYN+ACKs only up to 3.x.
;   P0F-W10 [tcp:response] "s:unix:Linux:5.x" (these eight signatures);
;   FACTS 3 (Linux SYN-ACK IP ID 0).
label = s:unix:Linux:4.20 and newer
sig   = *:64:0:*:mss*44,0:mss:df:0
sig   = *:64:0:*:mss*44,0:mss,nop,nop,sok:df:0
sig   = *:64:0:*:mss*44,7:mss,nop,ws:df:0
sig   = *:64:0:*:mss*44,7:mss,nop,nop,sok,nop,ws:df:0
sig   = *:64:0:*:mss*45,0:mss,nop,nop,ts:df:0
sig   = *:64:0:*:mss*45,0:mss,sok,ts:df:0
sig   = *:64:0:*:mss*45,7:mss,nop,nop,ts,nop,ws:df:0
sig   = *:64:0:*:mss*45,7:mss,sok,ts,nop,ws:df:0
