module example.com/app

go 1.21

toolchain go1.21.3

require (
	github.com/google/uuid v1.3.0
	golang.org/x/net v0.17.0
	example.com/local v0.0.0
)

require (
	golang.org/x/sys v0.13.0 // indirect
	golang.org/x/text v0.13.0 // indirect; for golang.org/x/net
)

require "github.com/quoted/mod" v1.0.0

replace golang.org/x/net => github.com/example/net-fork v0.17.1-fork

replace example.com/local => ../local

replace golang.org/x/text v0.12.0 => golang.org/x/text v0.12.1

exclude golang.org/x/sys v0.12.0

retract v1.0.1 // published by mistake
