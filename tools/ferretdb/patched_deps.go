package main

// The project's patches to FerretDB (patches/) use modules FerretDB itself does not. The install
// script applies them to the vendored copy after `go mod vendor`, which vendors only what this
// module's own packages import: importing them here brings them into that copy.
import _ "github.com/goccy/go-json" // patches/0007: sjson decodes and encodes with go-json
