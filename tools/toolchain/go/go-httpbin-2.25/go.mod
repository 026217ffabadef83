// go-httpbin 2.25.0: the lab test's canary app rolls from one release of it to the next (v2.25.0 → v2.26.0).
module mayday.dev/toolchain/go-httpbin-2.25

go 1.26

tool github.com/mccutchen/go-httpbin/v2/cmd/go-httpbin

require github.com/mccutchen/go-httpbin/v2 v2.25.0 // indirect
