; Test fixture for tests/unit/test_p0fdb.c: a signature file with broken
; lines among good ones.  Line numbers matter to the test: keep them.

classes = win,unix,other

[tcp:request]

label = s:unix:Good:one
sig   = *:64:0:*:mss*20,7:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*20,7:mss,sok,ts,nop,ws:df,id+,bogus:0
sig   = *:64:0:*:mss*20,7:mss,sok,ts,nop,ws:df,id+
sig   = *:64:0:*:abc,7:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*10,7:mss,sok,ts,nop,ws:df,id+:0

[tcp:sideways]

label = s:unix:Lost:one
sig   = *:64:0:*:mss*4,7:mss,sok,ts,nop,ws:df,id+:0

[tcp:response]

label = s:unix:Good:two
sig   = *:64:0:*:mss*10,0:mss:df:0
