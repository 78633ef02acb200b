; Test fixture for tests/unit/test_p0fdb.c: a signature before any label,
; then a good label.  Line numbers matter to the test: keep them.

classes = win,unix,other

[tcp:request]

sig   = *:64:0:*:mss*20,7:mss,sok,ts,nop,ws:df,id+:0

label = s:unix:Good:after
sig   = *:64:0:*:mss*10,7:mss,sok,ts,nop,ws:df,id+:0
